// bench/load_client: N WebSocket clients (Beast coroutines on one thread) that read pushes
// and count them, while the server's CPU time is read from /proc/PID/stat. Prints one line
// of key=value: pushes delivered in the window, server CPU, CPU per push, push latency
// per room, and the server's RSS per member. A push's latency is its arrival minus the
// earliest timestamp of the same tick in any room, so a room whose ticker fires late (behind
// other rooms' broadcasts) shows it.
// Usage: load_client --port P --pid PID --clients N --interval-ms MS [--rooms K] [--warmup-s S]
//                    [--duration-s S]
//   room i of K is /room<i> (K = 0: every client joins /nowtime).
#include <boost/asio.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using namespace std::chrono;
constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);

namespace {

struct Options {
    unsigned short port = 0;
    int pid = 0;
    int clients = 100;
    int rooms = 0;
    int interval_ms = 100;
    double warmup_s = 3, duration_s = 10;
};

struct Stats {
    int connected = 0, failed = 0, closed = 0;
    bool measuring = false;
    long long pushes = 0;
    struct Sample {
        int room;
        long long stamp_us, arrival_us;
    };
    std::vector<Sample> samples;  // in the window
    std::vector<long long> per_client;  // pushes each client got in the window
    bool keep_samples = true;
};

// Server CPU seconds (user + system) from /proc/PID/stat.
double cpu_seconds(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(f)), {});
    auto close = s.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream in(s.substr(close + 2));
    std::string field;
    double ut = 0, st = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
        if (i == 14) ut = std::stod(field);
        if (i == 15) st = std::stod(field);
    }
    return (ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Resident set size of PID in KiB.
long rss_kib(int pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(f, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

// Microseconds since the epoch of "...\"data\":\"YYYY-MM-DDTHH:MM:SS.ffffffZ\"..."; -1 if absent.
// The push's timestamp in microseconds since the epoch, or -1. Accepts what the peers send:
// "data":"..." or "data": "..." (Python's json.dumps), and 1 to 9 fraction digits (Node
// sends milliseconds, nowtime-server and Python microseconds).
long long stamp_us(std::string_view msg) {
    auto at = msg.find("\"data\":");
    if (at == std::string_view::npos) return -1;
    at += 7;
    while (at < msg.size() && msg[at] == ' ') ++at;
    if (at >= msg.size() || msg[at] != '"' || msg.size() < at + 1 + 20) return -1;
    const char* p = msg.data() + at + 1;
    const std::size_t left = msg.size() - at - 1;
    auto num = [&](int off, int n) {
        int v = 0;
        for (int i = 0; i < n; ++i) {
            const char c = p[off + i];
            if (c < '0' || c > '9') return -1;
            v = v * 10 + (c - '0');
        }
        return v;
    };
    std::tm tm{};
    tm.tm_year = num(0, 4) - 1900;
    tm.tm_mon = num(5, 2) - 1;
    tm.tm_mday = num(8, 2);
    tm.tm_hour = num(11, 2);
    tm.tm_min = num(14, 2);
    tm.tm_sec = num(17, 2);
    if (tm.tm_year < 0 || tm.tm_mon < 0 || tm.tm_mday < 0 || tm.tm_hour < 0 || tm.tm_min < 0 || tm.tm_sec < 0) return -1;
    long long us = 0;
    std::size_t i = 19;
    if (i < left && p[i] == '.') {
        long long scale = 100000;
        for (++i; i < left && p[i] >= '0' && p[i] <= '9'; ++i, scale /= 10)
            if (scale > 0) us += (p[i] - '0') * scale;
    }
    return static_cast<long long>(timegm(&tm)) * 1000000 + us;
}

net::awaitable<void> client(tcp::endpoint ep, std::string path, int room, int index, Stats& stats) {
    auto ex = co_await net::this_coro::executor;
    websocket::stream<tcp::socket> ws(ex);
    auto [ec] = co_await ws.next_layer().async_connect(ep, tuple_awaitable);
    if (!ec) std::tie(ec) = co_await ws.async_handshake("127.0.0.1", path, tuple_awaitable);
    if (ec) {
        ++stats.failed;
        co_return;
    }
    ++stats.connected;
    beast::flat_buffer buf;
    for (;;) {
        auto [rec, n] = co_await ws.async_read(buf, tuple_awaitable);
        if (rec) break;
        if (stats.measuring) {
            std::string_view msg(static_cast<const char*>(buf.data().data()), buf.size());
            auto t = stamp_us(msg);
            if (t > 0) {
                ++stats.pushes;
                ++stats.per_client[index];
                if (stats.keep_samples) {
                    auto now = duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
                    stats.samples.push_back({room, t, now});
                }
            }
        }
        buf.consume(buf.size());
    }
    ++stats.closed;
}

double percentile(std::vector<float>& v, double p) {
    if (v.empty()) return -1;
    std::size_t k = static_cast<std::size_t>(p * (v.size() - 1));
    std::nth_element(v.begin(), v.begin() + k, v.end());
    return v[k];
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i], v = argv[i + 1];
        if (a == "--port") o.port = static_cast<unsigned short>(std::stoi(v));
        else if (a == "--pid") o.pid = std::stoi(v);
        else if (a == "--clients") o.clients = std::stoi(v);
        else if (a == "--rooms") o.rooms = std::stoi(v);
        else if (a == "--interval-ms") o.interval_ms = std::stoi(v);
        else if (a == "--warmup-s") o.warmup_s = std::stod(v);
        else if (a == "--duration-s") o.duration_s = std::stod(v);
        else {
            std::fprintf(stderr, "load_client: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (!o.port || !o.pid) {
        std::fprintf(stderr, "load_client: --port and --pid are required\n");
        return 2;
    }
    net::io_context ioc(1);
    Stats stats;
    stats.samples.reserve(1 << 20);
    stats.per_client.assign(o.clients, 0);
    stats.keep_samples = o.duration_s <= 120;  // long runs (the soak) count pushes only
    tcp::endpoint ep(net::ip::make_address_v4("127.0.0.1"), o.port);
    long rss_before = rss_kib(o.pid);
    auto started = steady_clock::now();
    double cpu0 = 0, cpu1 = 0;
    long rss_joined = 0;
    net::co_spawn(ioc, [&]() -> net::awaitable<void> {
        net::steady_timer t(co_await net::this_coro::executor);
        // Connect in waves of at most 200 open handshakes, so the listen backlog never overflows.
        for (int i = 0; i < o.clients; ++i) {
            while (i - stats.connected - stats.failed >= 200) {
                t.expires_after(milliseconds(1));
                co_await t.async_wait(tuple_awaitable);
            }
            int room = o.rooms > 0 ? i % o.rooms : 0;
            std::string path = o.rooms > 0 ? "/room" + std::to_string(room) : "/nowtime";
            net::co_spawn(ioc, client(ep, path, room, i, stats), net::detached);
        }
        while (stats.connected + stats.failed < o.clients) {
            t.expires_after(milliseconds(5));
            co_await t.async_wait(tuple_awaitable);
        }
        t.expires_after(duration_cast<nanoseconds>(duration<double>(o.warmup_s)));
        co_await t.async_wait(tuple_awaitable);
        rss_joined = rss_kib(o.pid);
        cpu0 = cpu_seconds(o.pid);
        stats.measuring = true;
        t.expires_after(duration_cast<nanoseconds>(duration<double>(o.duration_s)));
        co_await t.async_wait(tuple_awaitable);
        stats.measuring = false;
        cpu1 = cpu_seconds(o.pid);
        ioc.stop();
    }, net::detached);
    ioc.run();
    double cpu = cpu1 - cpu0;
    // Group pushes into ticks by their stamps; each tick's base is its earliest stamp.
    std::map<long long, long long> base;  // tick -> earliest stamp
    long long first = stats.samples.empty() ? 0 : stats.samples.front().stamp_us;
    long long iv = o.interval_ms * 1000LL;
    auto tick_of = [&](long long stamp) { return (stamp - first + iv / 2) / iv; };
    for (auto& s : stats.samples) {
        auto [it, fresh] = base.emplace(tick_of(s.stamp_us), s.stamp_us);
        if (!fresh) it->second = std::min(it->second, s.stamp_us);
    }
    std::vector<std::vector<float>> per_room(std::max(o.rooms, 1));
    std::vector<float> all;
    for (auto& s : stats.samples) {
        float ms = static_cast<float>(s.arrival_us - base[tick_of(s.stamp_us)]) / 1000.0f;
        per_room[s.room].push_back(ms);
        all.push_back(ms);
    }
    double p99_best = 1e9, p99_worst = 0;
    for (auto& v : per_room) {
        double p = percentile(v, 0.99);
        p99_best = std::min(p99_best, p);
        p99_worst = std::max(p99_worst, p);
    }
    std::printf("clients=%d connected=%d failed=%d closed=%d connect_s=%.1f pushes=%lld server_cpu_s=%.2f "
                "us_per_push=%.3f p50_ms=%.2f p99_ms=%.2f "
                "p99_best_room_ms=%.2f p99_worst_room_ms=%.2f min_per_client=%lld max_per_client=%lld rss_kib_before=%ld rss_kib_joined=%ld rss_per_member_b=%.0f\n",
                o.clients, stats.connected, stats.failed, stats.closed,
                duration<double>(steady_clock::now() - started).count() - o.warmup_s - o.duration_s, stats.pushes,
                cpu, stats.pushes ? cpu * 1e6 / stats.pushes : -1.0, percentile(all, 0.5), percentile(all, 0.99),
                p99_best, p99_worst, *std::min_element(stats.per_client.begin(), stats.per_client.end()),
                *std::max_element(stats.per_client.begin(), stats.per_client.end()), rss_before, rss_joined,
                stats.connected ? (rss_joined - rss_before) * 1024.0 / stats.connected : -1.0);
    return stats.failed == 0 ? 0 : 1;
}
