// The sync driver's coordinator: Beast's blocking API, one thread per client, every blocking
// call bounded by a deadline. The caller's thread owns the sessions: it waits on one queue of
// events with condition_variable::wait_until(earliest deadline), feeds the sessions and sends
// their commands to the client threads. Each client thread (Worker) owns its connection and
// loops: read whatever the socket has without waiting (the connection's service()), run
// queued commands, then poll(2) on {socket, the thread's eventfd} until either has something.
// Layers below: sync/connection (one WebSocket connection), sync/frame_gate (Beast's next
// layer, cut at frame ends), sync/socket (the deadline-bound TCP socket).
#include "pushcheck/drivers/driver.hpp"

#include "events.hpp"
#include "pushcheck/net/tls.hpp"
#include "sync/connection.hpp"
#include "sync/socket.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <poll.h>

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace pushcheck::drivers {
namespace sync {
namespace {

namespace ssl = net::ssl;
using engine::Command;
using engine::Event;
using Clock = std::chrono::steady_clock;

/// The shared part of every client thread: the coordinator's queue of events.
struct Inbox {
    struct Msg {
        std::size_t session = 0;
        bool exited = false;  // a client thread of `session` finished
        Event event;
        SteadyTime t{};
    };
    std::mutex m;
    std::condition_variable cv;
    std::deque<Msg> q;

    void post(Msg msg) {
        {
            std::lock_guard lk(m);
            q.push_back(std::move(msg));
        }
        cv.notify_one();
    }
};

/// Everything a client thread shares with the others of the run.
struct Shared {
    Setup setup;
    Inbox& inbox;
};

/// One client: a thread that owns its connections and performs its commands in order.
class Worker final : public ClientThread {
public:
    Worker(Shared& shared, std::size_t session, std::string client)
        : shared_(shared), session_(session), client_(std::move(client)) {}
    ~Worker() { join(); }

    void start() { thread_ = std::thread([this] { main(); }); }
    void push(Command c) {
        {
            std::lock_guard lk(m_);
            queue_.push_back(std::move(c));
        }
        waker_.signal();
    }
    /// Finish the queued commands, release the connection, exit; nothing waits past `hard`.
    void stop(SteadyTime hard) {
        {
            std::lock_guard lk(m_);
            stopping_ = true;
        }
        waker_.set_hard(hard);
    }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    void emit(Event e, SteadyTime t) override { shared_.inbox.post({session_, false, std::move(e), t}); }

    const Setup& setup() const override { return shared_.setup; }
    Waker& waker() override { return waker_; }
    const std::string& client() const override { return client_; }

private:
    void main();
    void perform(Command& c);

    Shared& shared_;
    std::size_t session_;
    std::string client_;
    Waker waker_;
    std::mutex m_;
    std::deque<Command> queue_;
    bool stopping_ = false;
    std::unique_ptr<SyncConn> conn_;
    std::thread thread_;
};

void Worker::main() {
    for (;;) {
        const bool reading = conn_ && conn_->open() && !conn_->paused;
        bool more = reading && conn_->service();
        std::optional<Command> cmd;
        bool stop = false;
        {
            std::lock_guard lk(m_);
            if (!queue_.empty()) {
                cmd = std::move(queue_.front());
                queue_.pop_front();
            } else {
                stop = stopping_;
            }
        }
        if (cmd) {
            perform(*cmd);
            continue;
        }
        if (stop) break;
        if (more) continue;
        pollfd p[2] = {{waker_.fd(), POLLIN, 0}, {reading && conn_->open() ? conn_->fd() : -1, POLLIN, 0}};
        // Without an eventfd (fd exhaustion) fall back to a short poll.
        int r = ::poll(p, 2, waker_.fd() < 0 ? 20 : -1);
        if (r > 0 && p[0].revents) waker_.clear();
    }
    if (conn_) {
        if (conn_->open()) conn_->release();
        conn_->drop_now();
        conn_.reset();
    }
    shared_.inbox.post({session_, true, {}, {}});
}

void Worker::perform(Command& c) {
    if (c.kind == Command::Kind::connect) {
        // A reconnect drops the old connection at the TCP level, quietly.
        if (conn_) conn_->drop_now();
        conn_ = make_connection(*this, c.connection);
        conn_->connect(c);
        return;
    }
    if (!conn_) {
        if (c.kind != Command::Kind::release) emit(detail::error_event("not connected", client_, c.connection), Clock::now());
        return;
    }
    switch (c.kind) {
    case Command::Kind::send_text:
    case Command::Kind::send_binary: conn_->send(c); break;
    case Command::Kind::ping: conn_->ping(c); break;
    case Command::Kind::close: conn_->close(c); break;
    case Command::Kind::abort: conn_->abort(c); break;
    case Command::Kind::release: conn_->release(); break;
    case Command::Kind::flood: conn_->flood(c); break;
    case Command::Kind::pause_reading:
    case Command::Kind::resume_reading:
        if (!conn_->open())
            emit(detail::error_event("not connected", client_, c.connection), Clock::now());
        else
            conn_->paused = c.kind == Command::Kind::pause_reading;
        break;
    case Command::Kind::connect: break;
    }
}

/// A running session of the sync driver and its client threads.
struct SyncRun {
    std::size_t id;
    engine::Session* session;
    std::map<std::string, std::unique_ptr<Worker>> workers;
    std::size_t exited = 0;
    bool finished = false;
};

class SyncDriverImpl final : public Driver {
public:
    explicit SyncDriverImpl(TargetOptions target) : target_(std::move(target)) {}
    const char* name() const override { return "sync"; }

    void run(const std::vector<engine::Session*>& sessions, int jobs, const SessionDone& done) override {
        net::io_context ioc;
        ssl::context ctx(ssl::context::tls_client);
        error_code tls_error =
            target_.url.tls ? pushcheck::net::make_client_context(ctx, target_.ca_file, target_.insecure) : error_code{};
        Inbox inbox;
        Shared shared{{target_, ioc, ctx, tls_error}, inbox};
        std::vector<std::unique_ptr<SyncRun>> running;
        std::size_t next = 0;
        std::size_t max_jobs = jobs < 1 ? 1 : static_cast<std::size_t>(jobs);

        for (;;) {
            while (running.size() < max_jobs && next < sessions.size()) {
                engine::Session* s = sessions[next];
                std::size_t id = next++;
                if (!s) continue;
                running.push_back(std::make_unique<SyncRun>(SyncRun{id, s, {}, 0, false}));
                SyncRun& r = *running.back();
                dispatch(shared, r, s->start(Clock::now()));
                if (s->done()) finish(r);
            }
            if (running.empty()) break;

            std::optional<SteadyTime> earliest;
            for (auto& r : running)
                if (!r->finished)
                    if (auto d = r->session->next_deadline(); d && (!earliest || *d < *earliest)) earliest = d;
            std::deque<Inbox::Msg> batch;
            {
                std::unique_lock lk(inbox.m);
                auto ready = [&] { return !inbox.q.empty(); };
                if (earliest)
                    inbox.cv.wait_until(lk, *earliest, ready);
                else
                    inbox.cv.wait(lk, ready);
                batch.swap(inbox.q);
            }
            for (auto& msg : batch) {
                SyncRun* r = find(running, msg.session);
                if (!r) continue;
                if (msg.exited) {
                    ++r->exited;
                } else if (!r->finished) {
                    dispatch(shared, *r, r->session->on_event(std::move(msg.event), msg.t));
                    if (r->session->done()) finish(*r);
                }
            }
            SteadyTime now = Clock::now();
            for (auto& r : running) {
                if (r->finished) continue;
                if (auto d = r->session->next_deadline(); d && *d <= now) {
                    dispatch(shared, *r, r->session->on_time(now));
                    if (r->session->done()) finish(*r);
                }
            }
            for (auto it = running.begin(); it != running.end();) {
                SyncRun& r = **it;
                if (r.finished && r.exited == r.workers.size()) {
                    for (auto& [name, w] : r.workers) w->join();
                    if (done) done(*r.session);
                    it = running.erase(it);
                } else {
                    ++it;
                }
            }
        }
    }

private:
    static SyncRun* find(std::vector<std::unique_ptr<SyncRun>>& running, std::size_t id) {
        for (auto& r : running)
            if (r->id == id) return r.get();
        return nullptr;
    }

    void dispatch(Shared& shared, SyncRun& r, std::vector<Command> commands) {
        for (auto& c : commands) {
            auto it = r.workers.find(c.client);
            if (it == r.workers.end()) {
                auto w = std::make_unique<Worker>(shared, r.id, c.client);
                try {
                    w->start();
                } catch (const std::system_error& e) {
                    // No thread: the client cannot run; say so and count it as exited.
                    shared.inbox.post({r.id, false,
                                       detail::error_event(std::string("cannot start a client thread: ") + e.what(),
                                                           c.client, c.connection),
                                       Clock::now()});
                    shared.inbox.post({r.id, true, {}, {}});
                }
                it = r.workers.emplace(c.client, std::move(w)).first;
            }
            it->second->push(std::move(c));
        }
    }

    void finish(SyncRun& r) {
        r.finished = true;
        SteadyTime hard = Clock::now() + target_.release_timeout + std::chrono::seconds(1);
        for (auto& [name, w] : r.workers) w->stop(hard);
    }

    TargetOptions target_;
};

} // namespace
} // namespace sync

std::unique_ptr<Driver> make_sync_driver(const TargetOptions& target) {
    return std::make_unique<sync::SyncDriverImpl>(target);
}

} // namespace pushcheck::drivers
