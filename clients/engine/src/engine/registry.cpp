// The step and check registries, filled by one registrar object in each step and check file.
#include "pushcheck/engine/check.hpp"
#include "pushcheck/engine/scenario.hpp"
#include "pushcheck/engine/step.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace pushcheck::engine {

namespace {
// Function-local statics: registrars in other files may run before anything here.
std::vector<const StepInfo*>& steps() {
    static std::vector<const StepInfo*> v;
    return v;
}
std::vector<const CheckInfo*>& checks() {
    static std::vector<const CheckInfo*> v;
    return v;
}
template <class T>
void insert_sorted(std::vector<const T*>& v, const T& info) {
    auto it = std::lower_bound(v.begin(), v.end(), info.name, [](const T* a, const std::string& n) { return a->name < n; });
    if (it != v.end() && (*it)->name == info.name) throw std::logic_error("duplicate registration of " + info.name);
    v.insert(it, &info);
}
} // namespace

StepRegistrar::StepRegistrar(const StepInfo& info) { insert_sorted(steps(), info); }

Verdict grade(CheckOutcome::Status status, Level level) {
    switch (status) {
    case CheckOutcome::Status::pass: return Verdict::pass;
    case CheckOutcome::Status::fail: return failing_verdict(level);
    case CheckOutcome::Status::measured: return level == Level::may ? Verdict::informational : Verdict::pass;
    case CheckOutcome::Status::harness_error: return Verdict::harness_error;
    }
    return Verdict::harness_error;
}

std::string explained(const nlohmann::json& definition, std::string reason) {
    if (!definition.is_object()) return reason;
    auto it = definition.find("explain");
    if (it == definition.end() || !it->is_string() || it->get<std::string>().empty()) return reason;
    return it->get<std::string>() + " (" + reason + ")";
}
CheckRegistrar::CheckRegistrar(const CheckInfo& info) { insert_sorted(checks(), info); }

const std::vector<const StepInfo*>& step_types() { return steps(); }
const std::vector<const CheckInfo*>& check_types() { return checks(); }

const StepInfo* find_step_type(const std::string& name) {
    for (const auto* s : steps())
        if (s->name == name) return s;
    return nullptr;
}

const CheckInfo* find_check_type(const std::string& name) {
    for (const auto* c : checks())
        if (c->name == name) return c;
    return nullptr;
}

std::vector<std::pair<std::string, std::string>> known_steps() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto* s : steps()) out.emplace_back(s->name, s->description);
    return out;
}

std::vector<std::pair<std::string, std::string>> known_checks() {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto* c : checks()) out.emplace_back(c->name, c->description);
    return out;
}

void MessageQueue::pop() {
    ++head_;
    // Compact once the consumed part dominates, so a long run does not grow without bound.
    if (head_ == items_.size()) {
        items_.clear();
        head_ = 0;
    } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
}

void ClientState::begin_connection() {
    ++connection;
    state = ConnState::connecting;
    connected_at = failed_at = closed_at = kNoEvent;
    pending.clear();
    pongs.clear();
    last_ping.clear();
    captures.clear();  // captured values belong to the connection that sent them
    in_profile_steps = false;
}

const std::string* ClientState::lookup(std::string_view key) const {
    if (key == "room") return join ? &join->room : nullptr;
    if (key == "client") return &name;
    if (key == "group") return &group;
    if (key == "index") return &index;
    for (const auto& [k, v] : captures)
        if (k == key) return &v;
    return nullptr;
}

void ClientState::capture(const std::string& key, std::string value) {
    for (auto& [k, v] : captures)
        if (k == key) {
            v = std::move(value);
            return;
        }
    captures.emplace_back(key, std::move(value));
}

std::chrono::microseconds ms_to_us(double ms) {
    return std::chrono::microseconds(static_cast<std::int64_t>(std::llround(ms * 1000.0)));
}

} // namespace pushcheck::engine
