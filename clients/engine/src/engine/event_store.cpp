// EventStore: bounded event retention for a scenario run.
#include "engine/event_store.hpp"

#include <algorithm>

namespace pushcheck::engine {

namespace {

const Event& not_kept() {
    static const Event e = [] {
        Event x;
        x.kind = EventKind::error;
        x.data = "(event not kept)";
        return x;
    }();
    return e;
}

} // namespace

EventStore::EventStore(std::size_t clients, std::size_t keep_first, std::size_t keep_last, std::size_t windowed)
    : keep_first_(keep_first), keep_last_(keep_last), windowed_(windowed),
      keep_everything_(keep_first == 0 && keep_last == 0), clients_(clients) {}

std::size_t EventStore::add(Event e, ClientId client) {
    const std::size_t index = next_++;
    e.seq = index;
    Slot& s = slots_[index];
    s.event = std::move(e);
    newest_index_ = index;
    newest_ = &s;
    if (keep_everything_ || client == kNoClient || client >= clients_.size()) return index;
    PerClient& c = clients_[client];
    if (c.all) return index;
    const bool narrow = windowed_ != 0 && client >= windowed_;
    s.narrow = narrow;
    if (c.first < (narrow ? std::size_t{1} : keep_first_)) {
        ++c.first;
        return index;
    }
    c.last.push(index);
    return index;
}

const Event& EventStore::operator[](std::size_t index) const {
    const Slot* s = find(index);
    return s ? s->event : not_kept();
}

bool EventStore::kept(std::size_t index) const { return find(index) != nullptr; }

void EventStore::set_handling(std::size_t index, Handling h) {
    if (Slot* s = find(index)) s->event.handling = h;
}

const ParsedMessage& EventStore::parsed(std::size_t index, const std::function<ParsedMessage(const Event&)>& parse) {
    Slot* s = find(index);
    if (!s) {
        static const ParsedMessage none = parse(not_kept());
        return none;
    }
    if (!s->parsed) s->parsed = std::make_unique<ParsedMessage>(parse(s->event));
    return *s->parsed;
}

void EventStore::keep(std::size_t index) {
    if (Slot* s = find(index)) ++s->keeps;
}

void EventStore::release(std::size_t index) {
    auto it = slots_.find(index);
    if (it == slots_.end() || it->second.keeps == 0) return;
    --it->second.keeps;
    drop_if_unused(it);
}

void EventStore::keep_all(ClientId client) {
    if (client >= clients_.size()) return;
    clients_[client].all = true;
    clients_[client].last.clear();
}

void EventStore::trim(ClientId client, std::size_t needed, const std::function<bool(std::size_t)>& pinned) {
    if (keep_everything_ || client >= clients_.size()) return;
    PerClient& c = clients_[client];
    const std::size_t keep_last = windowed_ != 0 && client >= windowed_ ? 0 : keep_last_;
    while (c.last.size() > keep_last && c.last.front() < needed) {
        const std::size_t index = c.last.front();
        c.last.pop();
        auto it = slots_.find(index);
        if (it == slots_.end()) continue;
        if (pinned(index)) {
            ++it->second.keeps;  // the engine still points at it: kept for good
            continue;
        }
        it->second.window = false;
        drop_if_unused(it);
    }
}

void EventStore::drop_if_unused(std::unordered_map<std::size_t, Slot>::iterator it) {
    if (it->second.keeps != 0 || it->second.window) return;
    if (&it->second == newest_) newest_ = nullptr;
    slots_.erase(it);
}

std::vector<Event> EventStore::take() {
    std::vector<std::size_t> order;
    order.reserve(slots_.size());
    for (const auto& [i, s] : slots_) order.push_back(i);
    std::sort(order.begin(), order.end());
    std::vector<Event> out;
    out.reserve(order.size());
    for (std::size_t i : order) {
        Slot& s = slots_[i];
        // A narrow client's successful handshake goes to the report as its outcome, without the
        // response's headers (the first clients show them); a refused one keeps everything.
        if (s.narrow && s.event.kind == EventKind::connected) s.event.handshake.reset();
        out.push_back(std::move(s.event));
    }
    slots_.clear();
    newest_ = nullptr;
    for (auto& c : clients_) c.last.clear();
    return out;
}

} // namespace pushcheck::engine
