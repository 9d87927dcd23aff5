// Room broadcast: one shared payload for every member, against serialising per member.
#include "nowtime/room.hpp"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <vector>

namespace {

// A member that only counts what it was handed, as a session's queue would hold it.
struct CountingMember {
    std::size_t bytes = 0;
    nowtime::SendResult send(const nowtime::Payload& p) {
        bytes += p->size();
        return nowtime::SendResult::queued;
    }
    void cut_off() {}
};

std::string serialise_push() {
    return nlohmann::json{{"status", 200}, {"event", "nowtime"}, {"data", "2026-11-26T13:02:48.542529Z"}}.dump();
}

void BM_RoomBroadcastShared(benchmark::State& state) {
    nowtime::Room<CountingMember> room("/nowtime");
    std::vector<std::unique_ptr<CountingMember>> members;
    for (int i = 0; i < state.range(0); ++i) {
        members.push_back(std::make_unique<CountingMember>());
        room.join(members.back().get(), 0);
    }
    for (auto _ : state) {
        auto payload = nowtime::text_frame(serialise_push());
        benchmark::DoNotOptimize(room.broadcast(payload));
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * state.range(0)));
}
BENCHMARK(BM_RoomBroadcastShared)->Arg(100)->Arg(10000);

// Peer: the per-connection way (the original example): serialise and allocate per member.
void BM_PerMemberSerialise(benchmark::State& state) {
    std::vector<std::shared_ptr<CountingMember>> members;
    for (int i = 0; i < state.range(0); ++i) members.push_back(std::make_shared<CountingMember>());
    for (auto _ : state) {
        for (auto& m : members) m->send(nowtime::text_frame(serialise_push()));
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * state.range(0)));
}
BENCHMARK(BM_PerMemberSerialise)->Arg(100)->Arg(10000);

} // namespace
