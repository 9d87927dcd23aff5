// Driver test support: the Python peer as a child process, a raw-frame C++ peer, and a
// scripted engine::Session that records every event it is told.
#pragma once
#include "pushcheck/drivers/driver.hpp"
#include "pushcheck/engine/session.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace drivertest {

using namespace std::chrono_literals;
using pushcheck::engine::Command;
using pushcheck::engine::Event;
using pushcheck::engine::EventKind;
using pushcheck::engine::SteadyTime;
using Clock = std::chrono::steady_clock;

/// tests/integration/drivers/peer.py running as a child process on 127.0.0.1.
class PythonPeer {
public:
    /// Starts the peer (wss when cert/key are given) and waits for its `listening on` line.
    explicit PythonPeer(const std::string& cert = "", const std::string& key = "");
    ~PythonPeer();
    PythonPeer(const PythonPeer&) = delete;
    PythonPeer& operator=(const PythonPeer&) = delete;
    std::string port() const { return port_; }

private:
    int pid_ = -1;
    int stdin_fd_ = -1;
    std::string port_;
};

/// One accepted connection of a RawPeer: raw bytes and frames, every read with a deadline.
class RawConn {
public:
    explicit RawConn(int fd) : fd_(fd) {}
    enum class Read { frame, eof, reset, timeout, error };
    struct Frame {
        int opcode = 0;
        bool fin = true;
        std::string payload;
    };

    /// Reads the upgrade request (into request()) without answering it.
    bool read_request();
    /// Reads the upgrade request and answers 101; `extra` is sent in the same write.
    bool handshake(const std::string& extra = "");
    bool send(const std::string& bytes);
    Read read_frame(Frame& f, std::chrono::milliseconds within);
    /// Reads frames until the connection ends or `within` passes; closes seen are counted.
    Read read_until_end(std::chrono::milliseconds within, int* close_frames = nullptr);
    const std::string& request() const { return request_; }
    int fd() const { return fd_; }

    /// A server frame (unmasked unless `mask`).
    static std::string frame(int opcode, const std::string& payload, bool fin = true, bool mask = false);

private:
    Read fill(Clock::time_point deadline);
    int fd_;
    std::string in_;
    std::string request_;
};

/// A WebSocket server on 127.0.0.1 that accepts one connection and runs `script` on it.
class RawPeer {
public:
    explicit RawPeer(std::function<void(RawConn&)> script);
    ~RawPeer();
    std::string port() const { return port_; }

private:
    int listen_fd_ = -1;
    std::string port_;
    std::thread thread_;
};

/// A scripted session: runs its steps in order and records every event. Each wait has a
/// deadline; the first one that passes fails the script (failure() says which).
class Script : public pushcheck::engine::Session {
public:
    struct Record {
        Event event;
        SteadyTime t;
    };
    explicit Script(std::string name = "script") : name_(std::move(name)) {}

    Script& connect(const std::string& client, const std::string& path, int connection = 0,
                    std::vector<std::pair<std::string, std::string>> headers = {},
                    std::vector<std::string> subprotocols = {}, std::chrono::milliseconds timeout = 3000ms);
    Script& send(const std::string& client, const std::string& text);
    Script& send_binary(const std::string& client, const std::string& data);
    Script& ping(const std::string& client, const std::string& data);
    Script& close(const std::string& client, int code, const std::string& reason = "");
    Script& abort(const std::string& client);
    Script& command(Command c);
    /// Waits for `count` events of `client` of `kind` whose data contains `contains`.
    Script& expect(const std::string& client, EventKind kind, const std::string& contains = "", int count = 1,
                   std::chrono::milliseconds within = 3000ms);
    Script& sleep(std::chrono::milliseconds d);

    const std::vector<Record>& records() const { return records_; }
    std::vector<Event> events_of(const std::string& client) const;
    const std::string& failure() const { return failure_; }
    bool passed() const { return done_ && failure_.empty(); }

    std::string name() const override { return name_; }
    std::vector<Command> start(SteadyTime now) override;
    std::vector<Command> on_event(Event event, SteadyTime now) override;
    std::vector<Command> on_time(SteadyTime now) override;
    std::optional<SteadyTime> next_deadline() const override;
    bool done() const override { return done_; }

private:
    struct Step {
        enum class Kind { command, wait, sleep } kind = Kind::command;
        Command cmd;
        std::string client;
        EventKind event = EventKind::connected;
        std::string contains;
        int count = 1;
        std::chrono::milliseconds within{0};
        bool started = false;
        SteadyTime deadline{};
        int seen = 0;
    };
    std::vector<Command> advance(SteadyTime now);

    std::string name_;
    std::vector<Step> steps_;
    std::size_t step_ = 0;
    std::vector<Record> records_;
    std::vector<std::pair<std::string, std::size_t>> cursors_;  // per client: next record to look at
    std::vector<std::string> clients_;
    std::string failure_;
    bool done_ = false;
};

/// A driver by name ("async" / "sync") for `target`; async runs on $PUSHCHECK_TEST_ASYNC_THREADS threads (default 1).
std::unique_ptr<pushcheck::drivers::Driver> make_driver(const std::string& name,
                                                        const pushcheck::drivers::TargetOptions& target);
/// ws://127.0.0.1:PORT (or wss) with short timeouts for tests.
pushcheck::drivers::TargetOptions target_for(const std::string& port, bool tls = false, const std::string& prefix = "");
/// Runs one script under the named driver; returns the wall time it took.
std::chrono::milliseconds run(const std::string& driver, const pushcheck::drivers::TargetOptions& target, Script& s);

/// One line per event, for comparing drivers: kind and codes, no times.
std::string signature(const Event& e);
std::vector<std::string> signatures(const std::vector<Event>& events);
std::string describe(const Script& s);

/// A port on 127.0.0.1 where nothing listens.
std::string closed_port();
/// A self-signed certificate for localhost/127.0.0.1 in a fresh temp dir (removed on destruction).
struct CertFiles {
    std::string dir, cert, key;
    CertFiles(std::string d, std::string c, std::string k) : dir(std::move(d)), cert(std::move(c)), key(std::move(k)) {}
    CertFiles(CertFiles&& o) noexcept : dir(std::exchange(o.dir, {})), cert(std::move(o.cert)), key(std::move(o.key)) {}
    CertFiles(const CertFiles&) = delete;
    ~CertFiles();
};
CertFiles make_cert();

} // namespace drivertest
