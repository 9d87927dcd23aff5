// libFuzzer target: the sync driver's FrameScanner. Byte 0 picks the message size limit and
// bytes 1-2 seed the sizes of the reads; the rest is what the server sent (the HTTP response,
// then frames). The target commits it in chunks, takes bytes for the handshake and, whenever a
// message is buffered, reads it as the sync driver does (controls before it, then take() up
// to its end). Invariants: take() never exceeds readable() or hands out a byte that was not
// committed; a buffered message is readable to its end without more input; stream positions
// (message ends, control positions) never go back; and the bytes taken plus the ping and pong
// frames cut out are exactly the bytes committed, in order.
#include "fuzz_check.hpp"

#include "frame_scanner.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

using namespace pushcheck;
using drivers::detail::FrameScanner;

namespace {

struct Rng {  // xorshift32: deterministic read sizes from two input bytes
    std::uint32_t s;
    std::uint32_t next() {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        return s;
    }
    std::size_t upto(std::size_t n) { return 1 + next() % n; }
};

struct Reader {
    FrameScanner sc;
    Rng rng;
    std::string taken;                        // every byte take() handed out, in order
    std::vector<FrameScanner::Control> cut;   // every control taken, in order
    std::uint64_t last_end = 0;

    void controls(std::uint64_t before) {
        for (auto& c : sc.take_controls(before)) {
            FUZZ_EXPECT(c.pos < before);
            FUZZ_EXPECT(c.pos <= taken.size() + sc.buffered());
            FUZZ_EXPECT(cut.empty() || cut.back().pos <= c.pos);
            FUZZ_EXPECT(c.payload.size() <= 125);
            cut.push_back(std::move(c));
        }
    }

    std::size_t take(std::size_t n) {
        const std::size_t readable = sc.readable();
        const std::size_t held = sc.buffered();
        FUZZ_EXPECT(readable <= held);
        std::vector<char> out(n + 8, '\x5a');
        const std::size_t k = sc.take(out.data(), n);
        FUZZ_EXPECT(k == std::min(n, readable));
        FUZZ_EXPECT(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(k), out.end(), [](char c) { return c == '\x5a'; }));
        FUZZ_EXPECT(sc.buffered() == held - k);
        taken.append(out.data(), k);
        return k;
    }

    // What the sync driver's service() does: each buffered message is read to its end.
    void service() {
        while (sc.has_message()) {
            const std::uint64_t end = sc.front_end();
            FUZZ_EXPECT(end >= last_end && end > taken.size() && end <= taken.size() + sc.buffered());
            last_end = end;
            controls(end);
            while (taken.size() < end) FUZZ_EXPECT(take(rng.upto(4096)) > 0);  // never needs the socket
        }
        controls(UINT64_MAX);
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3) return 0;
    static constexpr std::size_t kLimits[] = {0, 16, 125, 1 << 20};
    Reader r{FrameScanner(kLimits[data[0] % 4]), Rng{(std::uint32_t{data[1]} << 8 | data[2]) + 1}, {}, {}, 0};
    const std::string stream = fuzz::text(data + 3, size - 3);

    std::size_t committed = 0;
    while (committed < stream.size()) {
        const std::size_t room = r.rng.upto(64);
        const std::size_t n = std::min({r.rng.upto(room), stream.size() - committed});
        char* p = r.sc.prepare(room);
        std::memcpy(p, stream.data() + committed, n);
        r.sc.commit(n, {});
        committed += n;
        // The handshake (and anything after a close frame) is read with plain reads.
        if (r.rng.next() % 2) r.take(r.rng.upto(256));
        r.service();
    }
    while (r.take(4096) > 0) r.service();
    r.controls(UINT64_MAX);

    // The bytes taken with the control frames put back where they were cut out, then the
    // bytes still held, are the committed stream.
    std::string rebuilt;
    std::size_t from = 0;
    for (const auto& c : r.cut) {
        FUZZ_EXPECT(c.pos <= r.taken.size());  // controls are cut out of frames already readable
        rebuilt.append(r.taken, from, static_cast<std::size_t>(c.pos) - from);
        from = static_cast<std::size_t>(c.pos);
        rebuilt += static_cast<char>(c.ping ? 0x89 : 0x8a);
        rebuilt += static_cast<char>(c.payload.size());
        rebuilt += c.payload;
    }
    rebuilt.append(r.taken, from, std::string::npos);
    FUZZ_EXPECT(rebuilt.size() + r.sc.buffered() == stream.size());
    FUZZ_EXPECT(stream.compare(0, rebuilt.size(), rebuilt) == 0);
    return 0;
}
