// Helpers shared by the check files (internal to pushcheck_engine).
#pragma once
#include "pushcheck/engine/check.hpp"

#include "engine/util.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace pushcheck::engine::checks {

/// Kept received events of one client whose payload matches `p` (all when p is null), in
/// order: for checks that need_transcript(), in finish().
inline std::vector<std::size_t> matching(CheckContext& ctx, ClientId id, const Pattern* p) {
    std::vector<std::size_t> out;
    const EventLog& events = ctx.events();
    for (std::size_t idx : ctx.events_of(id)) {
        if (events[idx].kind != EventKind::received || events[idx].handling != Handling::none) continue;
        if (p && !p->matches(ctx.message(idx))) continue;
        out.push_back(idx);
    }
    return out;
}

/// Nearest-rank percentile of sorted values (q in (0, 1]).
template <class T>
T percentile(const std::vector<T>& sorted, double q) {
    std::size_t rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return sorted[rank - 1];
}

/// At most `n` evidence indices, keeping the first ones.
inline void cap(std::vector<std::size_t>& v, std::size_t n = 20) {
    if (v.size() > n) v.resize(n);
}

/// The check's "timestamp_format", else the profile's push.timestamp_format, else ISO-8601 UTC.
inline TimestampFormat timestamp_format_of(const Params& p) {
    const bool in_profile = p.profile().find("push.timestamp_format") != nullptr;
    if (!p.has("timestamp_format") && !in_profile) return TimestampFormat::iso8601_utc;
    const std::string name = p.string_or_profile("timestamp_format", "push.timestamp_format");
    auto f = timestamp_format(name);
    if (!f) p.fail("timestamp_format", "expected \"iso8601-utc\", \"epoch-s\" or \"epoch-ms\", got \"" + name + "\"");
    return *f;
}

/// Seconds since the scenario start, for reasons: "3.012 s".
inline std::string at_s(const Event& e) { return util::num(static_cast<double>(e.t_us) / 1e6) + " s"; }

} // namespace pushcheck::engine::checks
