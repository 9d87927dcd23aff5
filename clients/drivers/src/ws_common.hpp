// What both drivers share on the Beast side: how a connection ended, error texts,
// handshake decoration and TLS set-up. Keeping this in one place keeps the two drivers'
// events identical.
#pragma once
#include "events.hpp"
#include "pushcheck/drivers/driver.hpp"
#include "pushcheck/engine/command.hpp"

#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream_base.hpp>
#include <boost/system/error_code.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

typedef struct ssl_st SSL;

namespace pushcheck::drivers::detail {

using error_code = boost::system::error_code;
namespace websocket = boost::beast::websocket;

/// One line for an error code ("connection reset", "message exceeds 1024 bytes", ...).
std::string error_text(const error_code& ec, std::size_t max_message_bytes);

/// A read ended while the connection was open. `got_close_frame`: Beast saw a valid close
/// frame from the server (the control callback fired).
Ending read_ending(const error_code& ec, const websocket::close_reason& cr, bool got_close_frame,
                   std::size_t max_message_bytes);

/// The client's close finished with `close_ec` (and the read side with `read_ec`, async only).
Ending close_ending(const error_code& close_ec, const error_code& read_ec,
                    const websocket::close_reason& cr, bool timed_out, std::chrono::milliseconds timeout);

/// A write or ping failed.
Ending write_ending(const error_code& ec, bool timed_out, std::chrono::milliseconds timeout,
                    std::size_t max_message_bytes);

/// A header that cannot be sent (empty name, CR or LF): the connect fails with this text.
std::optional<std::string> invalid_header(const TargetOptions& target, const engine::Command& c);

/// The checks of a connect before dialing, the same in both drivers: the headers, the TLS
/// set-up (`tls_error`: what making the TLS context reported; wss only) and the URL's port.
/// Returns the failure, or sets `port`.
std::optional<ConnectFailure> connect_precheck(const TargetOptions& target, const engine::Command& c,
                                               const error_code& tls_error, unsigned short& port);

/// Adds User-Agent, the target's and the command's headers and the subprotocols.
void decorate(websocket::request_type& req, const TargetOptions& target,
              const std::vector<std::pair<std::string, std::string>>& headers,
              const std::vector<std::string>& subprotocols);

/// SNI and host name (or IP) verification for a client SSL object.
void prepare_tls(SSL* ssl, const std::string& host, bool insecure);

/// The first bytes the server sent during the opening handshake, recorded by the drivers'
/// next layer so that a failed upgrade can say what really arrived.
struct Prelude {
    static constexpr std::size_t kKeep = 48;
    bool recording = false;
    std::string bytes;       // the first kKeep bytes
    std::size_t total = 0;   // every byte read while recording
    void add(const char* p, std::size_t n) {
        if (!recording) return;
        total += n;
        if (bytes.size() < kKeep) bytes.append(p, std::min(n, kKeep - bytes.size()));
    }
};

/// The connect_failed event of a connect to `path` that failed at `stage` (`timed_out`: its
/// deadline `timeout` passed). `ssl` is the connection's SSL object (or null), `res` the
/// upgrade response object and `prelude` what was read during the upgrade (both may be null).
/// Both drivers call this so their events stay identical.
ConnectFailure stage_failure(Stage stage, const error_code& ec, bool timed_out, std::chrono::milliseconds timeout,
                             const TargetOptions& target, const std::string& path, SSL* ssl,
                             const websocket::response_type* res, const Prelude* prelude);

/// stage_failure for a driver's stream `ws`: its next layer keeps the Prelude and, with TLS,
/// the layer under that is the SSL stream.
template <bool Tls, class Ws>
ConnectFailure stream_failure(Ws& ws, Stage stage, const error_code& ec, bool timed_out, const TargetOptions& target,
                              const engine::Command& c, const websocket::response_type* res) {
    SSL* ssl = nullptr;
    if constexpr (Tls) ssl = ws.next_layer().next_layer().native_handle();
    return stage_failure(stage, ec, timed_out, c.timeout, target, c.path, ssl, res, &ws.next_layer().prelude());
}

/// Before the upgrade: the handshake's headers (decorate) and the message size limit.
template <class Ws>
void prepare_upgrade(Ws& ws, const TargetOptions& target, const engine::Command& c) {
    ws.set_option(websocket::stream_base::decorator(
        [&target, headers = c.headers, protocols = c.subprotocols](websocket::request_type& req) {
            decorate(req, target, headers, protocols);
        }));
    ws.read_message_max(target.max_message_bytes);
}

/// The `connected` event of an upgrade to `path` answered with `res`: the handshake, and the
/// negotiated subprotocol as its data.
engine::Event connected_event(const TargetOptions& target, const std::string& path, const websocket::response_type& res,
                              const std::string& client, int connection);

/// The handshake of a connection to `path`: the dialled URL and, when `res` is non-null, the
/// response (a response that was really read: status, headers, negotiated subprotocol).
std::shared_ptr<const engine::Handshake> handshake_info(const TargetOptions& target, const std::string& path,
                                                        const websocket::response_type* res);

/// Up to `max` bytes as text: printable ASCII kept, anything else as \xNN.
std::string byte_preview(const std::string& bytes, std::size_t max = 48);

/// connect_failed texts, one per stage.
std::string dns_failure_text(const error_code& ec, const std::string& host);
std::string tcp_failure_text(const error_code& ec, const std::string& host, const std::string& port);
std::string tls_failure_text(const error_code& ec, SSL* ssl);
/// The text of a failed upgrade. `res` is the parsed response (null: none was read);
/// fills http_status when the server answered with something other than 101.
std::string upgrade_failure_text(const error_code& ec, const websocket::response_type* res, const Prelude* prelude,
                                 int& http_status);

} // namespace pushcheck::drivers::detail
