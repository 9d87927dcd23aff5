// The format registry and writing report files.
#include "fixture.hpp"
#include "pushcheck/reports/reporters.hpp"
#include "support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

using namespace pushcheck;
using namespace pushcheck::test;

TEST_CASE("every file format is registered under its option name", "[registry]") {
    const auto run = make_run();
    REQUIRE(reports::file_writers().size() == 3);
    for (const char* f : {"junit", "html", "json"}) {
        const auto* w = reports::find_writer(f);
        REQUIRE(w != nullptr);
        CHECK(w->format == f);
    }
    CHECK(reports::find_writer("xml") == nullptr);
    std::ostringstream s;
    reports::find_writer("junit")->write(run, s);
    CHECK(s.str() == junit_of(run));
}

TEST_CASE("write_file creates parent directories and reports failures", "[registry]") {
    namespace fs = std::filesystem;
    const std::string dir = artifact_dir() + "/write_file";
    fs::remove_all(dir);
    std::string error;
    REQUIRE(reports::write_file(dir + "/a/b/report.xml", "<x/>\n", error));
    CHECK(read_text(dir + "/a/b/report.xml") == "<x/>\n");
    CHECK_FALSE(fs::exists(dir + "/a/b/report.xml.tmp"));
    // A parent that is a regular file cannot become a directory.
    CHECK_FALSE(reports::write_file(dir + "/a/b/report.xml/inner.xml", "x", error));
    CHECK(error.find(dir + "/a/b/report.xml/inner.xml: cannot create directory") == 0);
}
