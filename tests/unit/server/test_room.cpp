// The room model without sockets: membership grouped by thread, one shared frame per
// broadcast, and the slow-consumer policy.
#include "nowtime/room.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <functional>
#include <thread>

using nowtime::Payload;
using nowtime::Room;
using nowtime::SendBudget;
using nowtime::SendResult;
using nowtime::text_frame;

namespace {

// A member that records what it got; unsent bytes stay in its budget until drain().
struct FakeMember {
    explicit FakeMember(std::size_t limit = 1 << 20) : budget(limit) {}

    SendResult send(const Payload& p) {
        if (on_send) on_send();
        if (!budget.reserve(p->size())) return SendResult::dropped;
        pending.push_back(p);
        received.push_back(p);
        return SendResult::queued;
    }
    void cut_off() { ++cut_offs; }
    // The peer read everything.
    void drain() {
        for (auto& p : pending) budget.release(p->size());
        pending.clear();
    }

    SendBudget budget;
    std::vector<Payload> pending;
    std::vector<Payload> received;
    int cut_offs = 0;
    std::function<void()> on_send;
};

Payload text(std::string s) { return text_frame(s); }

} // namespace

TEST_CASE("a frame is the WebSocket header and the payload in one buffer", "[room][frame]") {
    auto small = text_frame("hi");
    CHECK(small->bytes == std::string("\x81\x02hi", 4));
    CHECK(small->payload() == "hi");
    auto mid = text_frame(std::string(300, 'x'));
    CHECK(mid->header == 4);
    CHECK(mid->bytes.substr(0, 4) == std::string("\x81\x7e\x01\x2c", 4));
    CHECK(mid->payload().size() == 300);
    auto big = text_frame(std::string(70000, 'y'));
    CHECK(big->header == 10);
    CHECK(big->bytes.substr(0, 10) == std::string("\x81\x7f\x00\x00\x00\x00\x00\x01\x11\x70", 10));
}

TEST_CASE("members join and leave a room", "[room]") {
    Room<FakeMember> room("/nowtime");
    FakeMember a, b;
    CHECK(room.name() == "/nowtime");
    CHECK(room.size() == 0);
    CHECK(room.join(&a, 0));
    CHECK_FALSE(room.join(&a, 0));  // already a member
    CHECK(room.join(&b, 0));
    CHECK(room.size() == 2);
    CHECK(room.contains(&a, 0));
    CHECK(room.leave(&a, 0));
    CHECK_FALSE(room.leave(&a, 0));
    CHECK_FALSE(room.contains(&a, 0));
    CHECK(room.size() == 1);

    room.broadcast(text("x"));
    CHECK(a.received.empty());  // left before the broadcast
    CHECK(b.received.size() == 1);
}

TEST_CASE("a room with a capacity refuses members past it, across shards", "[room]") {
    Room<FakeMember> room("/one", 2, 1);
    FakeMember a, b;
    CHECK(room.join(&a, 0));
    CHECK_FALSE(room.join(&b, 1));
    CHECK(room.leave(&a, 0));
    CHECK(room.join(&b, 1));
}

TEST_CASE("a broadcast hands the same frame object to every member of every shard", "[room]") {
    Room<FakeMember> room("/nowtime", 3);
    std::vector<std::unique_ptr<FakeMember>> members;
    for (int i = 0; i < 6; ++i) {
        members.push_back(std::make_unique<FakeMember>());
        REQUIRE(room.join(members.back().get(), i % 3));
    }
    auto payload = text(R"({"status":200,"event":"nowtime","data":"2026-11-26T13:02:48.542529Z"})");
    auto r = room.broadcast(payload);
    CHECK(r.queued == 6);
    CHECK(r.dropped == 0);
    for (auto& m : members) {
        REQUIRE(m->received.size() == 1);
        CHECK(m->received[0].get() == payload.get());  // shared, not copied
    }
    CHECK(payload.use_count() == 1 + 2 * 6);  // ours + pending and received of each member
}

TEST_CASE("a delivery reaches only the members of its shard", "[room]") {
    Room<FakeMember> room("/nowtime", 2);
    FakeMember a, b;
    room.join(&a, 0);
    room.join(&b, 1);
    auto r = room.deliver(1, text("x"));
    CHECK(r.queued == 1);
    CHECK(a.received.empty());
    CHECK(b.received.size() == 1);
    CHECK_FALSE(room.contains(&a, 1));
    CHECK(room.size() == 2);
}

TEST_CASE("send budget: the slow-consumer policy", "[room][budget]") {
    SendBudget budget(100);
    CHECK(budget.limit() == 100);
    SECTION("one message always fits an empty queue") {
        CHECK(budget.reserve(150));
        CHECK(budget.queued() == 150);
        CHECK_FALSE(budget.reserve(1));
        budget.release(150);
        CHECK(budget.queued() == 0);
    }
    SECTION("messages are refused once the unsent total would pass the limit") {
        CHECK(budget.reserve(60));
        CHECK(budget.reserve(40));   // exactly at the limit
        CHECK_FALSE(budget.reserve(1));
        CHECK(budget.queued() == 100);
        budget.release(60);
        CHECK(budget.reserve(50));
        CHECK(budget.queued() == 90);
    }
    SECTION("protocol replies are counted past the limit") {
        CHECK(budget.reserve(100));
        budget.add(20);
        CHECK(budget.queued() == 120);
        CHECK_FALSE(budget.reserve(1));
    }
}

TEST_CASE("a slow member is cut off and the others still get every payload", "[room][slow]") {
    Room<FakeMember> room("/nowtime");
    auto slow = std::make_shared<FakeMember>(100);
    auto fast = std::make_shared<FakeMember>(100);
    room.join(slow.get(), 0);
    room.join(fast.get(), 0);
    auto p = text(std::string(60, 'x'));

    auto r1 = room.broadcast(p);
    CHECK(r1.queued == 2);
    fast->drain();  // the fast member reads, the slow one does not

    auto r2 = room.broadcast(p);  // slow: 60 + 60 > 100
    CHECK(r2.queued == 1);
    CHECK(r2.dropped == 1);
    CHECK(slow->cut_offs == 1);
    CHECK_FALSE(room.contains(slow.get(), 0));
    CHECK(room.size() == 1);
    fast->drain();

    for (int i = 0; i < 10; ++i) {
        auto r = room.broadcast(p);
        CHECK(r.queued == 1);
        CHECK(r.dropped == 0);
        fast->drain();
    }
    CHECK(fast->received.size() == 12);
    CHECK(slow->received.size() == 1);
    CHECK(slow->cut_offs == 1);  // cut off once, never again
}

TEST_CASE("a member may join or leave from inside send; a newcomer waits for the next frame", "[room]") {
    Room<FakeMember> room("/nowtime");
    FakeMember a, b, c;
    room.join(&a, 0);
    room.join(&c, 0);
    a.on_send = [&] { room.leave(&a, 0); room.join(&b, 0); };
    auto r = room.broadcast(text("x"));
    CHECK(r.queued == 2);
    CHECK(r.dropped == 0);
    CHECK(room.contains(&b, 0));
    CHECK_FALSE(room.contains(&a, 0));
    CHECK(b.received.empty());
    CHECK(c.received.size() == 1);
    CHECK(room.size() == 2);
    a.on_send = nullptr;
    room.broadcast(text("y"));
    CHECK(a.received.size() == 1);
    CHECK(b.received.size() == 1);
    CHECK(c.received.size() == 2);
}

TEST_CASE("a member that leaves during a delivery is not cut off, and the others still get the frame",
          "[room][slow]") {
    Room<FakeMember> room("/nowtime");
    FakeMember a(1), b, c;  // a: a budget of 1 byte, already spent
    REQUIRE(a.budget.reserve(1));
    room.join(&a, 0);
    room.join(&b, 0);
    room.join(&c, 0);
    b.on_send = [&] { room.leave(&c, 0); };  // c leaves while the delivery walks the shard
    auto r = room.broadcast(text("x"));
    CHECK(r.dropped == 1);  // a
    CHECK(a.cut_offs == 1);
    CHECK(r.queued == 1);   // b; c had left
    CHECK(c.received.empty());
    CHECK(room.size() == 1);
    CHECK(room.contains(&b, 0));
}

TEST_CASE("shards on their own threads deliver, join and leave at once", "[room][threads]") {
    constexpr int kShards = 3;
    Room<FakeMember> room("/nowtime", kShards);
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    std::vector<int> broadcasts(kShards, 0);
    std::vector<std::vector<std::unique_ptr<FakeMember>>> steady(kShards);
    for (int s = 0; s < kShards; ++s) {
        threads.emplace_back([&, s] {
            for (int i = 0; i < 4; ++i) {
                steady[s].push_back(std::make_unique<FakeMember>());
                room.join(steady[s].back().get(), s);
            }
            ++ready;
            std::vector<std::unique_ptr<FakeMember>> churn;
            for (int i = 0; i < 2000; ++i) {
                churn.push_back(std::make_unique<FakeMember>());
                room.join(churn.back().get(), s);
                if (i % 2) room.leave(churn.back().get(), s);
                room.deliver(s, text("tick"));
                ++broadcasts[s];
                for (auto& m : steady[s]) m->drain();
                (void)room.size();  // any thread
            }
            for (auto& m : churn) room.leave(m.get(), s);
        });
    }
    for (auto& t : threads) t.join();
    for (int s = 0; s < kShards; ++s)
        for (auto& m : steady[s]) CHECK(m->received.size() == static_cast<std::size_t>(broadcasts[s]));
    CHECK(room.size() == 4 * kShards);
}
