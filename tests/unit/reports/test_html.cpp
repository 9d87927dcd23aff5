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

TEST_CASE("HTML shows the dialled URLs and each connection's handshake response", "[html][handshake]") {
    const std::string html = html_of(make_run());
    CHECK(html.find("<dt>Dialled</dt><dd>ws://127.0.0.1:5000/nowtime<br>ws://127.0.0.1:5000/no-such-room</dd>") !=
          std::string::npos);
    CHECK(count(html, "<h3>Connections</h3>") == 3);  // welcome, close_bye, fifty (the others have no handshake)
    CHECK(html.find("<tr><td>a</td><td class=\"payload\">ws://127.0.0.1:5000/nowtime</td><td>101 Switching Protocols</td>"
                    "<td><code>nowtime.v1</code></td><td><details><summary>5 headers</summary><pre>Upgrade: websocket\n") !=
          std::string::npos);
    CHECK(html.find("Sec-WebSocket-Protocol: nowtime.v1\n</pre>") != std::string::npos);
    CHECK(html.find("<td>m37</td><td class=\"payload\">ws://127.0.0.1:5000/nowtime</td><td>no HTTP response</td>") !=
          std::string::npos);
}

TEST_CASE("HTML shows each failed step's definition", "[html][definition]") {
    const std::string html = html_of(make_run());
    CHECK(count(html, "<details class=\"definition\" open><summary>Definition</summary>") == 2);
    CHECK(html.find("<tr><th>match</th><td><code>{&quot;message&quot;:&quot;bye&quot;}</code></td></tr>") != std::string::npos);
    CHECK(html.find("<tr><th>skip</th><td><code>{&quot;data&quot;:{&quot;$timestamp&quot;:&quot;iso8601-utc&quot;}") !=
          std::string::npos);
    CHECK(html.find("<tr><th>within_ms</th><td><code>3000</code> ms (before --timeout-scale)</td></tr>") != std::string::npos);
}

TEST_CASE("HTML charts name their axes with units and measurements are tables", "[html]") {
    const std::string html = html_of(make_run());
    CHECK(count(html, "rotate(-90 12 108.0)\">samples</text>") == 3);  // every latency histogram
    CHECK(html.find(">interval m1 (ms)</text>") != std::string::npos);
    CHECK(html.find("latency (ms, log scale)") != std::string::npos);
    CHECK(html.find("time since scenario start (ms)") != std::string::npos);
    // No raw JSON of measurements: a row per figure, with its unit.
    CHECK(html.find("{&quot;mean_ms&quot;") == std::string::npos);
    CHECK(html.find("<tr><td></td><td>mean_ms</td><td class=\"num\">218.7 ms</td></tr>") != std::string::npos);
    CHECK(html.find("<tr><td>mean_ms</td><td class=\"num\">218.7 ms</td></tr>") != std::string::npos);
    CHECK(html.find("<tr><td></td><td>pushes</td><td class=\"num\">4</td></tr>") != std::string::npos);
}

TEST_CASE("HTML shows an interruption and the server's log tail", "[html][interrupted][server]") {
    const std::string html = html_of(make_interrupted_run());
    CHECK(html.find("<div class=\"alert interrupted\" id=\"interrupted\">Interrupted by SIGINT: this report holds the "
                    "scenarios that finished; 2 did not finish.<ul><li><code>push.latency</code> (sync)</li>") !=
          std::string::npos);
    CHECK(html.find("<dt>command</dt><dd>./my-server --port 5000</dd><dt>pid</dt><dd>4242</dd><dt>ended</dt><dd>signal "
                    "SIGTERM</dd>") != std::string::npos);
    CHECK(html.find("<pre>listening on :5000\nroom nowtime: 3 members\nerror: ticker stalled for 812 ms\n</pre>") !=
          std::string::npos);
    CHECK(html_of(make_run()).find("id=\"interrupted\"") == std::string::npos);
}

TEST_CASE("HTML timeline draws the evidence even past the marker cap", "[html]") {
    auto run = make_run();
    auto& s = run.scenarios[1];
    engine::Event e = s.transcript.events[2];
    for (int i = 0; i < 3500; ++i) {
        e.t_us += 1000;
        s.transcript.events.push_back(e);
    }
    s.findings[1].evidence = {3400};
    const std::string html = html_of(run);
    CHECK(html.find("3001 of 3506 events drawn: the first 3000 and the evidence.") != std::string::npos);
    CHECK(count(html, "class=\"ev-evidence\"") == 1 + 2 + 1);  // close_bye, push.cadence, robustness.non_json
}

TEST_CASE("HTML scenario table names the failing step or check before the reason", "[html]") {
    const std::string html = html_of(make_run());
    CHECK(html.find("<td class=\"reason\"><code class=\"where\">steps/3 expect</code> at /message: expected &quot;bye&quot;") !=
          std::string::npos);
    CHECK(html.find("<td class=\"reason\"><code class=\"where\">checks/0 interval</code> gap 3 of 9") != std::string::npos);
    // A reason no finding carries (harness error before any step) stays as it is.
    CHECK(html.find("<td class=\"reason\">could not open 50 client connections") != std::string::npos);
}
