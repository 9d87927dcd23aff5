// libFuzzer target: the framings ("json", "socketio"). The bytes are a received text frame,
// decoded by each framing at nesting limits 64 and 2 and as a binary frame: the outcome is
// consistent (size, preview, problem, depth limit), and a decoded value encodes to a frame that
// decodes to the same value. When the bytes are JSON they are also a value to encode: an
// encoding decodes back to that value (socketio: with the default "nsp" filled in), a refusal
// says why.
#include "fuzz_check.hpp"

#include "pushcheck/engine/framing.hpp"

#include "matchers/preview.hpp"

#include <array>
#include <string_view>

using namespace pushcheck;
using Kind = engine::ParsedMessage::Kind;

namespace {

bool socket_io_type(const nlohmann::json& type) {
    static constexpr std::array<std::string_view, 7> kNames{"connect", "disconnect", "event", "ack", "connect_error",
                                                            "binary_event", "binary_ack"};
    if (!type.is_string()) return false;
    for (auto n : kNames)
        if (type.get_ref<const std::string&>() == n) return true;
    return false;
}

void decode(const engine::Framing& f, std::string_view text, int depth) {
    const engine::ParsedMessage m = f.decode(text, false, depth);
    FUZZ_EXPECT(m.size == text.size());
    switch (m.kind) {
    case Kind::json: {
        std::string why;
        const auto again = f.encode(m.value(), &why);
        FUZZ_EXPECT(again && why.empty());  // what decodes, encodes
        const engine::ParsedMessage n = f.decode(*again, false, depth);
        FUZZ_EXPECT(n.kind == Kind::json && n.value() == m.value());
        FUZZ_EXPECT(*f.encode(n.value(), nullptr) == *again);  // an encoding is canonical
        break;
    }
    case Kind::too_deep: FUZZ_EXPECT(m.depth_limit == depth && m.value().is_null()); break;
    case Kind::undecodable:
        FUZZ_EXPECT(std::string_view(f.name()) == "socketio");
        FUZZ_EXPECT(m.problem.rfind("not a Socket.IO packet (", 0) == 0 && m.problem.back() == ')');
        FUZZ_EXPECT(m.preview == engine::text_preview(text) && m.value().is_null());
        break;
    case Kind::not_json: FUZZ_EXPECT(std::string_view(f.name()) == "json" && !m.preview.empty()); break;
    case Kind::binary: FUZZ_EXPECT(false); break;
    }
}

void encode(const engine::Framing& f, const nlohmann::json& v) {
    std::string why;
    const auto text = f.encode(v, &why);
    if (!text) {
        FUZZ_EXPECT(!why.empty());
        return;
    }
    nlohmann::json expected = v;
    if (f.transforms() && socket_io_type(v.at("type")) && !v.contains("nsp")) expected["nsp"] = "/";
    const engine::ParsedMessage m = f.decode(*text, false, 64);
    FUZZ_EXPECT(m.kind == Kind::json && m.value() == expected);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input = fuzz::text(data, size);
    const nlohmann::json as_json = engine::json_nesting_depth(input, 64) > 64 ? nlohmann::json()
                                                                               : nlohmann::json::parse(input, nullptr, false);
    for (const auto& name : engine::framing_names()) {
        const engine::FramingPtr f = engine::make_framing(name);
        FUZZ_EXPECT(f && f->name() == name);
        for (int depth : {64, 2}) decode(*f, input, depth);
        const engine::ParsedMessage b = f->decode(input, true, 64);
        FUZZ_EXPECT(b.kind == Kind::binary && b.size == size && b.value().is_null());
        if (!as_json.is_discarded() && !as_json.is_null()) encode(*f, as_json);
    }
    return 0;
}
