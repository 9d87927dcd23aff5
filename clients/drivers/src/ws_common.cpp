#include "ws_common.hpp"

#include <charconv>

#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/websocket/error.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace pushcheck::drivers::detail {

namespace net = boost::asio;
namespace beast = boost::beast;

namespace {

bool is_websocket_error(const error_code& ec) {
    return ec.category() == websocket::make_error_code(websocket::error::closed).category();
}

// The server went away without a closing handshake.
bool is_drop(const error_code& ec) {
    return ec == net::error::eof || ec == net::error::connection_reset ||
           ec == net::error::connection_aborted || ec == net::error::broken_pipe ||
           ec == net::ssl::error::stream_truncated;
}

std::string ms_text(std::chrono::milliseconds ms) { return std::to_string(ms.count()) + " ms"; }

} // namespace

std::string error_text(const error_code& ec, std::size_t max_message_bytes) {
    if (ec == websocket::error::message_too_big)
        return "message exceeds " + std::to_string(max_message_bytes) + " bytes";
    if (ec == net::error::eof) return "eof without close frame";
    if (ec == net::error::connection_reset) return "connection reset";
    if (ec == net::error::connection_aborted) return "connection aborted";
    if (ec == net::error::broken_pipe) return "broken pipe";
    if (ec == net::ssl::error::stream_truncated) return "TLS stream truncated (eof without close frame)";
    if (ec == beast::error::timeout) return "timed out";
    if (is_websocket_error(ec)) return "protocol error: " + ec.message();
    return ec.message();
}

namespace {
// A close frame without a status code is reported as 1005 ("no status received", RFC 6455
// 7.4.1), as browsers do; 0 stays "no close frame at all".
int code_of(const websocket::close_reason& cr) {
    return cr.code == websocket::close_code::none ? 1005 : static_cast<int>(cr.code);
}
} // namespace

Ending read_ending(const error_code& ec, const websocket::close_reason& cr, bool got_close_frame,
                   std::size_t max_message_bytes) {
    // Once the server's close frame arrived the handshake is done; a teardown error after it
    // (a TLS peer that skips close_notify) does not make the close unclean.
    if (ec == websocket::error::closed || got_close_frame)
        return {false, std::string(cr.reason.data(), cr.reason.size()), code_of(cr), true, true};
    if (is_drop(ec)) return {false, error_text(ec, max_message_bytes), 0, false, true};
    return {true, error_text(ec, max_message_bytes), 0, false, false};
}

Ending close_ending(const error_code& close_ec, const error_code& read_ec,
                    const websocket::close_reason& cr, bool timed_out, std::chrono::milliseconds timeout) {
    if (!close_ec || read_ec == websocket::error::closed || cr.code != websocket::close_code::none)
        return {false, std::string(cr.reason.data(), cr.reason.size()), code_of(cr), true, false};
    if (timed_out) return {false, "no close frame from the server within " + ms_text(timeout), 0, false, false};
    return {false, error_text(close_ec, 0), 0, false, false};
}

Ending write_ending(const error_code& ec, bool timed_out, std::chrono::milliseconds timeout,
                    std::size_t max_message_bytes) {
    if (timed_out) return {true, "write timed out after " + ms_text(timeout), 0, false, false};
    if (is_drop(ec)) return {false, error_text(ec, max_message_bytes), 0, false, true};
    return {true, error_text(ec, max_message_bytes), 0, false, false};
}

std::optional<std::string> invalid_header(const TargetOptions& target, const engine::Command& c) {
    auto bad = [](const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; };
    for (const auto* list : {&target.headers, &c.headers})
        for (const auto& [name, value] : *list)
            if (name.empty() || bad(name) || bad(value) || name.find(':') != std::string::npos)
                return "invalid handshake header '" + name + "': empty name, ':' in the name, or CR/LF";
    for (const auto& p : c.subprotocols)
        if (p.empty() || bad(p) || p.find_first_of(", ") != std::string::npos)
            return "invalid subprotocol '" + p + "'";
    if (bad(target.user_agent)) return "invalid User-Agent: contains CR/LF";
    return std::nullopt;
}

std::optional<ConnectFailure> connect_precheck(const TargetOptions& target, const engine::Command& c,
                                               const error_code& tls_error, unsigned short& port) {
    if (auto bad = invalid_header(target, c)) return ConnectFailure{*bad};
    if (target.url.tls && tls_error)
        return ConnectFailure{"TLS set-up failed: " + tls_error.message() +
                              (target.ca_file.empty() ? "" : " (ca_file '" + target.ca_file + "')")};
    const std::string& ps = target.url.port;
    auto [end, perr] = std::from_chars(ps.data(), ps.data() + ps.size(), port);
    if (perr != std::errc() || end != ps.data() + ps.size() || port == 0) return ConnectFailure{"invalid port '" + ps + "'"};
    return std::nullopt;
}

engine::Event connected_event(const TargetOptions& target, const std::string& path, const websocket::response_type& res,
                              const std::string& client, int connection) {
    engine::Event e = make_event(engine::EventKind::connected, client, connection);
    e.handshake = handshake_info(target, path, &res);
    e.data = e.handshake->subprotocol;
    e.size = e.data.size();
    return e;
}

void decorate(websocket::request_type& req, const TargetOptions& target,
              const std::vector<std::pair<std::string, std::string>>& headers,
              const std::vector<std::string>& subprotocols) {
    req.set(beast::http::field::user_agent, target.user_agent);
    for (const auto& [name, value] : target.headers) req.set(name, value);
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!subprotocols.empty()) {
        std::string list;
        for (const auto& p : subprotocols) list += (list.empty() ? "" : ", ") + p;
        req.set(beast::http::field::sec_websocket_protocol, list);
    }
}

void prepare_tls(SSL* ssl, const std::string& host, bool insecure) {
    error_code ec;
    net::ip::make_address(host, ec);
    bool is_ip = !ec;
    if (!is_ip) SSL_set_tlsext_host_name(ssl, host.c_str());
    if (insecure) return;
    // OpenSSL's own check, so that a mismatch fails with a precise verify error.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        SSL_set1_host(ssl, host.c_str());
    }
}

std::string dns_failure_text(const error_code& ec, const std::string& host) {
    return "cannot resolve '" + host + "': " + ec.message();
}

std::string tcp_failure_text(const error_code& ec, const std::string& host, const std::string& port) {
    return "TCP connect to " + host + ":" + port + " failed: " + ec.message();
}

std::string tls_failure_text(const error_code& ec, SSL* ssl) {
    std::string text = "TLS handshake failed: " + ec.message();
    long verify = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
    if (verify != X509_V_OK) {
        text += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
        return text + "; pass the CA that signed it with --ca-file, or skip verification with --insecure";
    }
    // OpenSSL's "wrong version number" / "packet length too long": the peer answered in plaintext.
    const std::string reason = ec.message();
    if (reason.find("wrong version number") != std::string::npos || reason.find("packet length too long") != std::string::npos ||
        reason.find("unknown protocol") != std::string::npos)
        text += "; the target does not speak TLS on this port: use ws:// instead of wss://";
    else if (is_drop(ec))
        text += "; the target closed the connection during the TLS handshake: if it serves plain WebSocket on this "
                "port, use ws:// instead of wss://";
    return text;
}

std::string byte_preview(const std::string& bytes, std::size_t max) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes.size() && i < max; ++i) {
        auto c = static_cast<unsigned char>(bytes[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    if (bytes.size() > max) out += "...";
    return out;
}

namespace {

// A response was parsed (Beast judged its status and headers) when the handshake failed with
// one of Beast's WebSocket errors; an HTTP parse or transport error means none was read.
bool response_was_read(const error_code& ec) { return is_websocket_error(ec); }

std::string prelude_text(const Prelude* p) {
    if (!p || p->total == 0) return "";
    return std::to_string(p->total) + " bytes: '" + byte_preview(p->bytes) + "'";
}

// The bytes so far are "HTTP/" or a start of it.
bool begins_like_http(const Prelude* p) {
    static const std::string http = "HTTP/";
    const std::size_t n = std::min(http.size(), p->bytes.size());
    return n > 0 && p->bytes.compare(0, n, http, 0, n) == 0;
}

bool looks_like_tls(const Prelude* p) {
    // A TLS record header: content type 0x14-0x17, then major version 3.
    return p && p->bytes.size() >= 2 && static_cast<unsigned char>(p->bytes[0]) >= 0x14 &&
           static_cast<unsigned char>(p->bytes[0]) <= 0x17 && p->bytes[1] == 3;
}

} // namespace

std::string upgrade_failure_text(const error_code& ec, const websocket::response_type* res, const Prelude* prelude,
                                 int& http_status) {
    if (res && response_was_read(ec)) {
        int status = static_cast<int>(res->result_int());
        if (status != 101) {
            http_status = status;
            return "upgrade refused: HTTP " + std::to_string(status) + " " + std::string(res->reason());
        }
        return "WebSocket handshake failed: HTTP 101 but " + ec.message();
    }
    const bool nothing = !prelude || prelude->total == 0;
    const bool dropped = ec == net::error::eof || ec == beast::http::error::end_of_stream ||
                         ec == beast::http::error::partial_message || ec == net::error::connection_reset ||
                         ec == net::error::connection_aborted || ec == net::ssl::error::stream_truncated;
    const std::string how = ec == net::error::connection_reset ? "connection reset" : "connection closed";
    if (nothing) {
        if (dropped) return how + " before any HTTP response";
        return "WebSocket handshake failed: " + ec.message();
    }
    if (!begins_like_http(prelude)) {
        std::string text = "not an HTTP response: first " + prelude_text(prelude);
        if (dropped) text += ", then the " + how;
        if (looks_like_tls(prelude)) text += "; this looks like a TLS server: use wss:// instead of ws://";
        return text;
    }
    if (dropped) return how + " in the middle of the HTTP response, after " + prelude_text(prelude);
    return "invalid HTTP response (" + ec.message() + "): first " + prelude_text(prelude);
}

std::shared_ptr<const engine::Handshake> handshake_info(const TargetOptions& target, const std::string& path,
                                                        const websocket::response_type* res) {
    auto h = std::make_shared<engine::Handshake>();
    h->url = target.url.room_url(path);
    if (res) {
        h->status = static_cast<int>(res->result_int());
        h->reason = std::string(res->reason());
        for (const auto& f : *res) h->headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        auto protocol = (*res)[beast::http::field::sec_websocket_protocol];
        h->subprotocol.assign(protocol.data(), protocol.size());
    }
    return h;
}

ConnectFailure stage_failure(Stage stage, const error_code& ec, bool timed_out, std::chrono::milliseconds timeout,
                             const TargetOptions& target, const std::string& path, SSL* ssl,
                             const websocket::response_type* res, const Prelude* prelude) {
    ConnectFailure f;
    const bool have_response = stage == Stage::upgrade && res && !timed_out && response_was_read(ec);
    // The target answered as an HTTP server: a parsed response, or one that began like one.
    f.reached = have_response || (stage == Stage::upgrade && prelude && begins_like_http(prelude));
    f.handshake = handshake_info(target, path, have_response ? res : nullptr);
    if (timed_out) {
        f.text = connect_timeout_text(stage, timeout);
        if (stage == Stage::upgrade)
            f.text += prelude && prelude->total ? " (incomplete HTTP response: " + prelude_text(prelude) + ")"
                                                : " (no HTTP response)";
        return f;
    }
    switch (stage) {
    case Stage::dns: f.text = dns_failure_text(ec, target.url.host); break;
    case Stage::tcp: f.text = tcp_failure_text(ec, target.url.host, target.url.port); break;
    case Stage::tls: f.text = tls_failure_text(ec, ssl); break;
    case Stage::upgrade: f.text = upgrade_failure_text(ec, have_response ? res : nullptr, prelude, f.http_status); break;
    }
    return f;
}

} // namespace pushcheck::drivers::detail
