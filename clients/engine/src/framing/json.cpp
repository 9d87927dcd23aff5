// The "json" framing: every text frame is one JSON value, decoded and encoded as is.
#include "framing/framings.hpp"

namespace pushcheck::engine::framing {

namespace {
class JsonFraming final : public Framing {
public:
    const char* name() const override { return "json"; }
    ParsedMessage decode(std::string_view data, bool binary, int max_depth) const override {
        return parse_message(data, binary, max_depth);
    }
    std::optional<std::string> encode(const nlohmann::json& value, std::string* why) const override {
        return dump_checked(value, why);
    }
    bool transforms() const override { return false; }
};
} // namespace

std::optional<std::string> dump_checked(const nlohmann::json& v, std::string* why) {
    try {
        return v.dump();
    } catch (const nlohmann::json::exception&) {
        if (why) *why = "the value holds a string that is not valid UTF-8";
        return std::nullopt;
    }
}

FramingPtr make_json() {
    static const FramingPtr instance = std::make_shared<const JsonFraming>();
    return instance;
}

} // namespace pushcheck::engine::framing
