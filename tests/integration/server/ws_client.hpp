// A blocking WebSocket/HTTP test client in which every operation has a deadline. Each
// call runs the client's own io_context until the operation completes or the deadline
// passes (then the socket is closed and the call reports a timeout). Beast-free header:
// the Beast code sits in ws_client.cpp, so the Catch2-heavy test file compiles without it.
#pragma once
#include <boost/system/error_code.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace test_client {

using error_code = boost::system::error_code;
using ms = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

/// The close codes the tests look for.
enum CloseCode : int {
    kNormal = 1000,
    kGoingAway = 1001,
    kUnknownData = 1003,
    kBadPayload = 1007,
    kPolicyError = 1008,
    kTooBig = 1009,
    kInternalError = 1011,
    kTryAgainLater = 1013,
};

/// True when `ec` says the server closed the WebSocket with a close frame.
bool is_closed(const error_code& ec);
/// True when `ec` says our deadline passed.
bool is_timeout(const error_code& ec);
/// The error a timed-out call reports.
error_code timeout_error();

/// One received message, or the error that ended the read.
struct Received {
    error_code ec;
    std::string text;
    bool binary = false;
    Clock::time_point at;
};

/// How a wss client checks the server.
struct Tls {
    std::string ca_file;    // PEM file with the certificate to trust
    std::string host_name;  // the name (or IP) the certificate must carry
};

class Client {
public:
    Client();
    /// A wss:// client that trusts `tls.ca_file` and checks `tls.host_name`.
    explicit Client(const Tls& tls);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Makes the receive buffer small before connecting (slow-consumer tests).
    void receive_buffer(int bytes);
    /// TCP connect to 127.0.0.1:port (and the TLS handshake for wss).
    error_code connect_tcp(unsigned short port, ms timeout = ms(3000));
    /// Connects and upgrades to `path`; `http_status` receives the server's answer.
    error_code connect(unsigned short port, const std::string& path, int* http_status = nullptr,
                       ms timeout = ms(3000));

    Received read(ms timeout = ms(2000));
    /// Reads raw bytes below the WebSocket layer (for peers that never upgrade).
    Received read_raw(ms timeout = ms(2000));
    /// Writes raw bytes below the WebSocket layer.
    error_code send_raw(const std::string& bytes, ms timeout = ms(2000));
    error_code send_text(const std::string& text, ms timeout = ms(2000));
    error_code send_binary(const std::string& data, ms timeout = ms(2000));
    /// Sends a close frame (1000) and waits for the server's.
    error_code close(ms timeout = ms(2000));
    /// Abrupt disconnect: RST instead of FIN, no close frame.
    void reset();
    /// The code of the server's close frame (after a read failed with is_closed()).
    int close_code() const;

    /// Reads until a message that is not a push arrives (or an error), all within
    /// `timeout`; returns it and counts the pushes skipped.
    Received read_past_pushes(int& pushes, ms timeout = ms(2000));

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// A plain HTTP/1.1 response.
struct HttpResponse {
    int status = 0;
    std::string content_type;
    std::string body;
};

/// GET http://127.0.0.1:port<target> with a deadline; nullopt on any error.
std::optional<HttpResponse> http_get(unsigned short port, const std::string& target, ms timeout = ms(3000));

} // namespace test_client
