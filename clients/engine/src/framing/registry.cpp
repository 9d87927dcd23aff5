// The framing registry: a profile's `framing` name to its codec. Adding a framing is one
// file under src/framing, its factory in framings.hpp and one line in kFramings.
#include "framing/framings.hpp"

#include <array>
#include <utility>

namespace pushcheck::engine {

namespace {
using Factory = FramingPtr (*)();
// Sorted by name; framing_names() lists them in this order.
constexpr std::array<std::pair<std::string_view, Factory>, 2> kFramings{{
    {"json", &framing::make_json},
    {"socketio", &framing::make_socketio},
}};
} // namespace

FramingPtr make_framing(std::string_view name) {
    for (const auto& [n, make] : kFramings)
        if (n == name) return make();
    return nullptr;
}

const std::vector<std::string>& framing_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& f : kFramings) v.emplace_back(f.first);
        return v;
    }();
    return names;
}

} // namespace pushcheck::engine
