// pushcheck merge: the shards of one run combined exactly (see merge.hpp).
#include "pushcheck/engine/merge.hpp"

#include "pushcheck/engine/check.hpp"
#include "pushcheck/engine/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

namespace pushcheck::engine {

namespace {

using nlohmann::json;

struct Input {
    const RunResult* run;
    const std::string* file;
};

/// One finding (by `where`) across the shards that have it; offsets map evidence into the merged transcript.
Finding merge_finding(const std::vector<const Finding*>& per_shard, const std::vector<std::size_t>& offsets,
                      const std::vector<Input>& in, std::size_t scenario) {
    const std::size_t n = in.size();  // the shards that have this finding
    auto shard_label = [&](std::size_t k) {
        return fmt::format("shard {}/{}", in[k].run->shard->index, in[k].run->shard->count);
    };
    std::size_t worst = 0;
    for (std::size_t k = 1; k < n; ++k)
        if (severity(per_shard[k]->verdict) > severity(per_shard[worst]->verdict)) worst = k;
    Finding f = *per_shard[worst];
    f.evidence.clear();
    for (std::size_t k = 0; k < n; ++k)
        for (std::size_t e : per_shard[k]->evidence) f.evidence.push_back(e + offsets[k]);
    const CheckInfo* info = f.kind == "check" ? find_check_type(f.name) : nullptr;
    if (info && info->merge) {
        std::vector<json> data;
        for (const Finding* x : per_shard)
            if (!x->measurements.value("absent_in_shard", false)) data.push_back(x->measurements);
        if (data.empty()) return f;
        CheckOutcome o;
        try {
            o = info->merge(data);
        } catch (const std::exception& e) {
            throw ConfigError(*in[worst].file, fmt::format("/scenarios/{}/findings ({})", scenario, f.where),
                              std::string("cannot merge check ") + f.name + ": " + e.what());
        }
        f.verdict = grade(o.status, f.level);
        f.reason = o.status == CheckOutcome::Status::fail ? explained(f.definition, std::move(o.reason)) : std::move(o.reason);
        if (f.verdict == Verdict::pass) f.evidence.clear();
        f.measurements = std::move(o.measurements);
        return f;
    }
    // Judged within each shard: the worst shard's verdict, reason and figures, named.
    if (f.verdict != Verdict::pass) f.reason = shard_label(worst) + ": " + f.reason;
    if (f.measurements.is_object() && !f.measurements.empty() && f.kind == "check")
        f.measurements["judged_in_shard"] = per_shard[worst]->measurements.value("absent_in_shard", false)
                                                ? json(nullptr)
                                                : json(in[worst].run->shard->index);
    return f;
}

ScenarioResult merge_scenario(const std::vector<Input>& in, std::size_t i) {
    const std::size_t n = in.size();
    const ScenarioResult& first = in[0].run->scenarios[i];
    // What describes the scenario comes from the first shard; the rest is merged.
    ScenarioResult r{first.id, first.group, first.title, first.description, first.file, first.level, first.driver};
    r.started_ms = first.started_ms;
    std::vector<std::size_t> offsets(n, 0);
    std::size_t seq_offset = 0;
    for (std::size_t k = 0; k < n; ++k) {
        const ScenarioResult& s = in[k].run->scenarios[i];
        r.started_ms = std::min(r.started_ms, s.started_ms);
        r.duration_ms = std::max(r.duration_ms, s.duration_ms);
        offsets[k] = r.transcript.events.size();
        for (Event e : s.transcript.events) {
            e.seq += seq_offset;
            r.transcript.events.push_back(std::move(e));
        }
        const std::size_t recorded = std::max(s.transcript.recorded, s.transcript.events.size());
        r.transcript.recorded += recorded;
        seq_offset += recorded;
        r.latency.merge(s.latency);
        r.series.insert(r.series.end(), s.series.begin(), s.series.end());
    }
    // Findings by place, in the order of the first shard that has them, with the shards that have them.
    struct Place {
        std::vector<const Finding*> findings;
        std::vector<Input> shards;
        std::vector<std::size_t> offsets;
    };
    std::vector<std::string> order;
    std::map<std::string, Place> by_where;
    for (std::size_t k = 0; k < n; ++k)
        for (const auto& f : in[k].run->scenarios[i].findings) {
            Place& p = by_where[f.where];
            if (p.findings.empty()) order.push_back(f.where);
            p.findings.push_back(&f);
            p.shards.push_back(in[k]);
            p.offsets.push_back(offsets[k]);
        }
    for (const auto& where : order) {
        const Place& p = by_where[where];
        // A check some shard did not grade (its steps failed there) is not graded, as in one
        // run; a step some shard never reached is judged by the shards that ran it.
        if (p.findings.size() != n && p.findings.front()->kind == "check") continue;
        r.findings.push_back(merge_finding(p.findings, p.offsets, p.shards, i));
    }
    r.regrade();
    return r;
}

} // namespace

RunResult merge_shards(const std::vector<RunResult>& shards, const std::vector<std::string>& files) {
    if (shards.empty()) throw ConfigError("pushcheck merge", "", "no results document to merge");
    if (files.size() != shards.size()) throw std::logic_error("merge_shards: one file name per shard");
    std::vector<Input> in;
    for (std::size_t k = 0; k < shards.size(); ++k) {
        if (!shards[k].shard)
            throw ConfigError(files[k], "/shard", "not a shard: only the results of runs with --shard K/N merge");
        in.push_back({&shards[k], &files[k]});
    }
    const unsigned n = in[0].run->shard->count;
    std::sort(in.begin(), in.end(), [](const Input& a, const Input& b) { return a.run->shard->index < b.run->shard->index; });
    std::set<unsigned> seen;
    for (const auto& x : in) {
        if (x.run->shard->count != n)
            throw ConfigError(*x.file, "/shard/count",
                              fmt::format("shard of {}, but {} is a shard of {}", x.run->shard->count, *in[0].file, n));
        if (!seen.insert(x.run->shard->index).second)
            throw ConfigError(*x.file, "/shard/index", fmt::format("shard {}/{} is given twice", x.run->shard->index, n));
    }
    if (in.size() != n) {
        std::vector<std::string> missing;
        for (unsigned k = 1; k <= n; ++k)
            if (!seen.count(k)) missing.push_back(fmt::format("{}/{}", k, n));
        throw ConfigError("pushcheck merge", "", fmt::format("{} of {} shards given; missing: {}", in.size(), n,
                                                             fmt::join(missing, ", ")));
    }
    const RunResult& a = *in[0].run;
    for (const auto& x : in) {
        const RunResult& b = *x.run;
        if (b.profile_name != a.profile_name)
            throw ConfigError(*x.file, "/profile_name",
                              fmt::format("profile \"{}\", but {} ran \"{}\"", b.profile_name, *in[0].file, a.profile_name));
        if (b.embedded != a.embedded || (!a.embedded && b.target != a.target))
            throw ConfigError(*x.file, "/target", fmt::format("target {}, but {} ran against {}", b.target, *in[0].file, a.target));
        if (b.scenarios.size() != a.scenarios.size())
            throw ConfigError(*x.file, "/scenarios",
                              fmt::format("{} scenario results, but {} has {}", b.scenarios.size(), *in[0].file, a.scenarios.size()));
        for (std::size_t i = 0; i < a.scenarios.size(); ++i)
            if (b.scenarios[i].id != a.scenarios[i].id || b.scenarios[i].driver != a.scenarios[i].driver)
                throw ConfigError(*x.file, fmt::format("/scenarios/{}", i),
                                  fmt::format("{} ({}), but {} has {} ({}) there", b.scenarios[i].id, b.scenarios[i].driver,
                                              *in[0].file, a.scenarios[i].id, a.scenarios[i].driver));
    }

    RunResult r;  // what describes the run comes from the first shard; the rest is merged
    r.pushcheck_version = a.pushcheck_version;
    r.target = a.target;
    r.embedded = a.embedded;
    std::tie(r.profile_name, r.profile, r.drivers, r.started_at) = std::tie(a.profile_name, a.profile, a.drivers, a.started_at);
    std::set<std::string> hosts, dialled;
    for (const auto& x : in) {
        const RunResult& b = *x.run;
        r.started_at = std::min(r.started_at, b.started_at);  // ISO 8601 UTC strings sort by time
        r.duration_ms = std::max(r.duration_ms, b.duration_ms);
        r.target_unreachable = r.target_unreachable || b.target_unreachable;
        hosts.insert(b.hostname);
        for (const auto& d : b.dialled)
            if (dialled.insert(d).second) r.dialled.push_back(d);
        if (b.interrupted) {
            if (!r.interrupted) r.interrupted = Interruption{b.interrupted->signal, {}};
            for (const auto& u : b.interrupted->unfinished) r.interrupted->unfinished.push_back(u);
        }
        if (b.server && !r.server) r.server = b.server;
        r.merged_from.push_back(*x.file);
    }
    r.hostname = fmt::format("{}", fmt::join(hosts, ", "));
    for (std::size_t i = 0; i < a.scenarios.size(); ++i) r.scenarios.push_back(merge_scenario(in, i));
    r.recompute_summary();
    return r;
}

} // namespace pushcheck::engine
