// Checks a CA file before any connection uses it (no Asio here).
#pragma once
#include <string>

namespace pushcheck::net {

/// "" when `path` holds at least one PEM certificate that OpenSSL can load, else why not.
std::string check_ca_file(const std::string& path);

} // namespace pushcheck::net
