// The sync driver's connection layer: one client's WebSocket connection (plain or TLS) over
// the frame gate and the poll socket. It performs the engine's commands with Beast's blocking
// API, each bounded by a deadline, and reads what arrived without waiting (service()). Its
// events go to the client thread that owns it.
#pragma once
#include "pushcheck/drivers/driver.hpp"
#include "pushcheck/engine/command.hpp"

#include <boost/system/error_code.hpp>

#include <memory>
#include <string>

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
} // namespace boost::asio

namespace pushcheck::drivers::sync {

class Waker;

/// What a client thread needs from its current connection.
class SyncConn {
public:
    virtual ~SyncConn() = default;
    virtual void connect(engine::Command& c) = 0;
    virtual void send(engine::Command& c) = 0;
    virtual void ping(engine::Command& c) = 0;
    virtual void close(engine::Command& c) = 0;
    virtual void abort(engine::Command& c) = 0;
    virtual void flood(engine::Command& c) = 0;
    /// Polite close bounded by release_timeout; no events.
    virtual void release() = 0;
    /// Close the socket now; no events.
    virtual void drop_now() = 0;
    /// Reads what arrived and reports it; true when data is left for another round.
    virtual bool service() = 0;
    virtual bool open() const = 0;
    virtual int fd() = 0;
    /// pause_reading: the thread stops reading the socket until resumed.
    bool paused = false;
};

/// What every connection of a run shares.
struct Setup {
    const TargetOptions& target;
    boost::asio::io_context& ioc;  // never run: Beast and Asio streams want an executor
    boost::asio::ssl::context& tls;
    boost::system::error_code tls_error;  // making `tls` failed (wss only)
};

/// What a connection uses of the client thread that owns it.
class ClientThread {
public:
    virtual const Setup& setup() const = 0;
    virtual Waker& waker() = 0;
    virtual const std::string& client() const = 0;
    /// Hands an event that happened at `t` to the coordinator.
    virtual void emit(engine::Event e, engine::SteadyTime t) = 0;

protected:
    ~ClientThread() = default;
};

/// A new connection of `thread`'s client, plain or TLS as the target says.
std::unique_ptr<SyncConn> make_connection(ClientThread& thread, int connection);

} // namespace pushcheck::drivers::sync
