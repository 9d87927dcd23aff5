// Resolving a JSON pointer against a received message, through JSON held in strings.
#include "engine/pointer.hpp"

#include "pushcheck/engine/matcher.hpp"

namespace pushcheck::engine {

namespace {

// The nesting limit of JSON read from a string, as the $json matcher applies it.
constexpr int kStringJsonDepth = 64;

std::size_t array_index(const std::string& token) {
    // RFC 6901: "0" or digits without a leading zero; a number this long is past any array.
    if (token.empty() || token.size() > 18 || (token.size() > 1 && token[0] == '0')) return MessagePointer::kNoIndex;
    std::size_t n = 0;
    for (char c : token) {
        if (c < '0' || c > '9') return MessagePointer::kNoIndex;
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    return n;
}

} // namespace

MessagePointer::MessagePointer(const nlohmann::json::json_pointer& p) {
    // to_string() is the escaped form "/a~1b/0"; the constructor of `p` has checked its syntax.
    const std::string text = p.to_string();
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t end = std::min(text.find('/', at + 1), text.size());
        std::string key;
        for (std::size_t i = at + 1; i < end; ++i) {
            if (text[i] == '~' && i + 1 < end) key += text[++i] == '1' ? '/' : '~';
            else key += text[i];
        }
        const std::size_t index = array_index(key);
        tokens_.push_back({std::move(key), index});
        at = end;
    }
}

const nlohmann::json* resolve_pointer(const nlohmann::json& root, const MessagePointer& p, PointerScratch& scratch) {
    const nlohmann::json* v = &root;
    for (const auto& token : p.tokens()) {
        if (v->is_string()) {
            const std::string& text = v->get_ref<const std::string&>();
            if (json_nesting_depth(text, kStringJsonDepth) > kStringJsonDepth) return nullptr;
            nlohmann::json decoded = nlohmann::json::parse(text, nullptr, false);
            if (decoded.is_discarded()) return nullptr;
            scratch.decoded = std::move(decoded);  // `text` may live in the old value: parsed first
            v = &scratch.decoded;
        }
        if (v->is_object()) {
            const auto it = v->find(token.key);
            if (it == v->end()) return nullptr;
            v = &*it;
        } else if (v->is_array()) {
            if (token.index >= v->size()) return nullptr;
            v = &(*v)[token.index];
        } else {
            return nullptr;
        }
    }
    return v;
}

} // namespace pushcheck::engine
