// The HTML report's template files (reports/assets/), embedded at build time.
#pragma once
#include <string_view>

namespace pushcheck::reports::assets {

extern const std::string_view report_css;   // assets/report.css
extern const std::string_view report_js;    // assets/report.js
extern const std::string_view report_html;  // assets/report.html: the page skeleton with {{slots}}

} // namespace pushcheck::reports::assets
