// One transcript event as the console and the HTML report show it.
#include "../../../reports/src/text.hpp"

#include <catch2/catch.hpp>

using namespace pushcheck;
using pushcheck::reports::detail::event_line;

namespace {

engine::Event sent(std::string data) {
    engine::Event e;
    e.kind = engine::EventKind::sent;
    e.client = "a";
    e.t_us = 8'093;
    e.data = std::move(data);
    e.size = e.data.size();
    return e;
}

} // namespace

TEST_CASE("a sent text frame shows its size and payload", "[events]") {
    CHECK(event_line(sent(R"({"event":"close"})")) == R"(     +8.093 ms  a     -> text 17 B  {"event":"close"})");
}

TEST_CASE("a sent close frame shows its code and reason, not an empty text frame", "[events]") {
    auto e = sent("going");
    e.close_code = 1000;
    CHECK(event_line(e) == "     +8.093 ms  a     -> close 1000  going");
    e.data.clear();
    e.size = 0;
    CHECK(event_line(e) == "     +8.093 ms  a     -> close 1000");
}

TEST_CASE("a flood shows the frames and bytes it wrote and why it stopped", "[events]") {
    auto e = sent("count reached");
    e.flood = true;
    e.count = 120;
    e.size = 61'440;
    e.duration_us = 2'500;
    CHECK(event_line(e) == "     +8.093 ms  a     -> flood: 120 frames, 61440 B in 2.5 ms  count reached");
}
