// TEMPORARY (removed when the framing registry lands): JSON framing only.
#include "pushcheck/engine/framing.hpp"

namespace pushcheck::engine {
namespace {
class JsonFraming final : public Framing {
public:
    const char* name() const override { return "json"; }
    ParsedMessage decode(std::string_view data, bool binary, int max_depth) const override {
        return parse_message(data, binary, max_depth);
    }
    std::optional<std::string> encode(const nlohmann::json& v, std::string*) const override {
        return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    bool transforms() const override { return false; }
};
} // namespace
FramingPtr make_framing(std::string_view name) {
    if (name == "json") return std::make_shared<JsonFraming>();
    return nullptr;
}
const std::vector<std::string>& framing_names() {
    static const std::vector<std::string> n{"json"};
    return n;
}
} // namespace pushcheck::engine
