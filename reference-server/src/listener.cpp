#include "listener.hpp"

#include "http_session.hpp"

#include <boost/asio/post.hpp>

namespace nowtime::detail {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

Listener::Listener(std::vector<net::io_context*> shards, State& st)
    : shards_(std::move(shards)), st_(st), acceptor_(*shards_.front()), backoff_(acceptor_.get_executor()) {}

error_code Listener::listen(const tcp::endpoint& ep, std::string& where) {
    error_code ec;
    where = "open socket";
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (ec) return ec;
    where = "bind " + endpoint_text(ep);
    acceptor_.bind(ep, ec);
    if (ec) return ec;
    where = "listen on " + endpoint_text(ep);
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return ec;
    where.clear();
    return ec;
}

tcp::endpoint Listener::local_endpoint() const {
    error_code ec;
    return acceptor_.local_endpoint(ec);
}

void Listener::start() { do_accept(); }

void Listener::stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
        error_code ignored;
        self->acceptor_.close(ignored);
        self->backoff_.cancel();
    });
}

std::string Listener::endpoint_text(const tcp::endpoint& ep) {
    auto a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(ep.port());
}

void Listener::do_accept() {
    std::size_t shard = next_shard_;
    next_shard_ = (next_shard_ + 1) % shards_.size();
    acceptor_.async_accept(*shards_[shard], [self = shared_from_this(), shard](error_code ec, tcp::socket s) {
        self->on_accept(ec, std::move(s), shard);
    });
}

void Listener::on_accept(error_code ec, tcp::socket socket, std::size_t shard) {
    if (!acceptor_.is_open()) return;
    if (ec) {
        // Out of descriptors: the oldest unfinished handshake makes room; with none, wait a little.
        bool short_of_fds = ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system;
        if (short_of_fds && st_.evict_oldest()) {
            net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
            return;
        }
        st_.refusal_log("accept: " + ec.message());
        backoff_.expires_after(std::chrono::milliseconds(100));
        backoff_.async_wait([self = shared_from_this()](error_code e) {
            if (!e) self->do_accept();
        });
        return;
    }
    st_.accepted.fetch_add(1);
    error_code peer_ec;
    auto peer = socket.remote_endpoint(peer_ec);
    if (auto slot = st_.admit(peer.address())) {
        error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (st_.opts.socket_send_buffer != 0)
            socket.set_option(net::socket_base::send_buffer_size(static_cast<int>(st_.opts.socket_send_buffer)),
                              ignored);
        std::make_shared<HttpSession>(st_, std::move(socket), std::move(*slot), shard)->run();
    } else {
        error_code ignored;
        socket.close(ignored);
    }
    do_accept();
}

} // namespace nowtime::detail
