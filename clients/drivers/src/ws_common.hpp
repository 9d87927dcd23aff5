// What both drivers share on the Beast side: how a connection ended, error texts,
// handshake decoration and TLS set-up. Keeping this in one place keeps the two drivers'
// events identical.
#pragma once
#include "events.hpp"
#include "pushcheck/drivers/driver.hpp"
#include "pushcheck/engine/command.hpp"

#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>

typedef struct ssl_st SSL;

namespace pushcheck::drivers::detail {

using error_code = boost::system::error_code;
namespace websocket = boost::beast::websocket;

/// How a connection ended: the fields of the `closed` event, and whether an `error`
/// event (with the same text) precedes it.
struct Ending {
    bool error = false;
    std::string text;
    int code = 0;
    bool clean = false;
    bool by_peer = false;
};

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

/// The `closed` event (and `error`, if ending.error) for one connection.
engine::Event closed_event(const Ending& ending, const std::string& client, int connection);
engine::Event error_event(const std::string& text, const std::string& client, int connection);

/// A header that cannot be sent (empty name, CR or LF): the connect fails with this text.
std::optional<std::string> invalid_header(const TargetOptions& target, const engine::Command& c);

/// Adds User-Agent, the target's and the command's headers and the subprotocols.
void decorate(websocket::request_type& req, const TargetOptions& target,
              const std::vector<std::pair<std::string, std::string>>& headers,
              const std::vector<std::string>& subprotocols);

/// SNI and host name (or IP) verification for a client SSL object.
void prepare_tls(SSL* ssl, const std::string& host, bool insecure);

/// What a connect_failed event says: the text, the HTTP status of a refused upgrade, and
/// whether the target answered at all (past DNS and TCP).
struct ConnectFailure {
    std::string text;
    int http_status = 0;
    bool reached = false;
};

/// The connect_failed event of a connect that failed at `stage` (`timed_out`: its deadline
/// `timeout` passed). `ssl` is the connection's SSL object (or null), `res` the upgrade
/// response when one was read. Both drivers call this so their events stay identical.
ConnectFailure stage_failure(Stage stage, const error_code& ec, bool timed_out, std::chrono::milliseconds timeout,
                             const TargetOptions& target, SSL* ssl, const websocket::response_type* res);

/// connect_failed texts, one per stage.
std::string dns_failure_text(const error_code& ec, const std::string& host);
std::string tcp_failure_text(const error_code& ec, const std::string& host, const std::string& port);
std::string tls_failure_text(const error_code& ec, SSL* ssl);
/// Fills http_status when the server answered with something other than 101.
std::string upgrade_failure_text(const error_code& ec, const websocket::response_type& res,
                                 int& http_status);

} // namespace pushcheck::drivers::detail
