// The events of one scenario run, kept within bounds: each client's first and last events,
// the events that are evidence (counted keeps), and every event of the clients whose
// checks need their whole transcript. Indices count every recorded event.
#pragma once
#include "pushcheck/engine/check.hpp"
#include "pushcheck/engine/matcher.hpp"
#include "pushcheck/engine/step.hpp"

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace pushcheck::engine {

class EventStore final : public EventLog {
public:
    /// keep_first and keep_last events per client (both 0: keep everything); clients from
    /// index `windowed` on (0: none) keep only their first event (the handshake's outcome, without
    /// the response headers of a successful one) and evidence.
    EventStore(std::size_t clients, std::size_t keep_first, std::size_t keep_last, std::size_t windowed = 0);

    /// Records an event of `client` (kNoClient: an unknown client, always kept); sets its
    /// seq and returns its index.
    std::size_t add(Event e, ClientId client);

    const Event& operator[](std::size_t index) const override;
    bool kept(std::size_t index) const override;
    std::size_t size() const override { return next_; }

    /// The parsed payload of a kept event, made by `parse` on first use.
    const ParsedMessage& parsed(std::size_t index, const std::function<ParsedMessage(const Event&)>& parse);

    /// Marks what the profile's hooks did with a received message.
    void set_handling(std::size_t index, Handling h);

    void keep(std::size_t index);
    void release(std::size_t index);
    /// Every event of `client` is kept from now on.
    void keep_all(ClientId client);

    /// Lets go of `client`'s events older than its last keep_last, stopping at `needed`
    /// (the oldest event a step may still read) and keeping those `pinned` says to keep.
    void trim(ClientId client, std::size_t needed, const std::function<bool(std::size_t)>& pinned);

    /// The kept events in order; the store is empty afterwards.
    std::vector<Event> take();

private:
    struct Slot {
        Event event;
        std::unique_ptr<ParsedMessage> parsed;
        std::uint32_t keeps = 0;  // evidence keeps
        bool window = true;       // within its client's first or last events
        bool narrow = false;      // its client is past `windowed`
    };
    struct PerClient {
        std::size_t first = 0;       // events taken as the client's first ones
        MessageQueue last;  // candidates for trimming, oldest first (not a deque: it costs 576 B empty)
        bool all = false;
    };

    void drop_if_unused(std::unordered_map<std::size_t, Slot>::iterator it);
    /// The slot of `index`, or nullptr. The newest event is read several times per event
    /// (by the runner, every check and the steps): it is found without hashing.
    Slot* find(std::size_t index) const {
        if (index == newest_index_ && newest_) return newest_;
        auto it = slots_.find(index);
        return it == slots_.end() ? nullptr : const_cast<Slot*>(&it->second);
    }

    std::size_t keep_first_, keep_last_, windowed_;
    bool keep_everything_;
    std::size_t next_ = 0;
    std::unordered_map<std::size_t, Slot> slots_;
    std::size_t newest_index_ = 0;
    Slot* newest_ = nullptr;  // the slot of newest_index_ (nodes do not move), nullptr once erased
    std::vector<PerClient> clients_;
};

} // namespace pushcheck::engine
