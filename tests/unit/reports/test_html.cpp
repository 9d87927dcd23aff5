// The HTML report: golden output, self-containment, escaping of hostile text.
#include "fixture.hpp"
#include "pushcheck/reports/escape.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace pushcheck;
using namespace pushcheck::test;

namespace {
std::size_t count(const std::string& s, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t p = 0; (p = s.find(what, p)) != std::string::npos; p += what.size()) ++n;
    return n;
}
} // namespace

TEST_CASE("HTML report matches the golden file", "[html]") {
    check_golden("report.html", html_of(make_run()));
}

TEST_CASE("HTML report is one self-contained file", "[html]") {
    const std::string html = html_of(make_run());
    // Everything inline: one style, one script, no external resource of any kind.
    CHECK(count(html, "<style>") == 1);
    CHECK(count(html, "<script>") == 1);
    for (const char* external : {"<link", "src=", "url(", "@import", "http://", "https://", "fetch(", "XMLHttpRequest"}) {
        INFO(external);
        CHECK(html.find(external) == std::string::npos);
    }
    CHECK(html.find("Content-Security-Policy\" content=\"default-src 'none'") != std::string::npos);
    // Charts are inline SVG drawn by the writer: overall and two scenario histograms, two cadence charts.
    CHECK(count(html, "aria-label=\"Latency histogram of") == 3);
    CHECK(count(html, "against the nominal interval\"") == 2);
    CHECK(count(html, "aria-label=\"Transcript timeline\"") == 6);
    // Summary, table rows and details for each scenario.
    CHECK(html.find("id=\"count-fail\"><div class=\"n\">1</div>") != std::string::npos);
    CHECK(count(html, "<tr data-verdict=") == 6);
    CHECK(count(html, "<details class=\"scenario") == 6);
    // Evidence rows are marked in the transcript.
    CHECK(count(html, "<tr class=\"evidence\">") == 2 + 2 + 1);
}

TEST_CASE("HTML escapes hostile text from the target", "[html][hostile]") {
    const std::string html = html_of(make_hostile_run());
    write_artifact("hostile.report.html", html);
    CHECK(reports::is_valid_utf8(html));
    // No control character but line feed and tab: nothing XML 1.0 forbids, nothing a terminal obeys.
    CHECK(std::count_if(html.begin(), html.end(), [](unsigned char c) { return c < 0x20 && c != '\n' && c != '\t'; }) == 0);
    // Only the report's own script and style elements; the hostile ones are text.
    CHECK(count(html, "<script") == 1);
    CHECK(count(html, "</script") == 1);
    CHECK(count(html, "</style") == 1);
    CHECK(html.find("<img") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt; &quot;dq&quot; &#39;sq&#39;") != std::string::npos);
    CHECK(html.find("&lt;img src=x onerror=alert(2)&gt;") != std::string::npos);
    // The template is filled once: "{{body}}" in a payload stays text.
    CHECK(count(html, "<main>") == 1);
    CHECK(html.find("{{body}}") != std::string::npos);
}
