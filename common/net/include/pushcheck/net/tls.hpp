// TLS context set-up shared by the drivers (client side) and the reference server.
#pragma once
#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <string>

namespace pushcheck::net {

/// Client context: system CAs (or `ca_file`), peer verification unless `insecure`.
/// Returns an error value instead of throwing when the CA file cannot be read.
boost::system::error_code make_client_context(boost::asio::ssl::context& ctx,
                                              const std::string& ca_file, bool insecure);

/// Server context from a PEM certificate chain and private key.
boost::system::error_code make_server_context(boost::asio::ssl::context& ctx,
                                              const std::string& cert_file,
                                              const std::string& key_file);

/// Writes a fresh self-signed certificate for `common_name` (with localhost/127.0.0.1
/// subject alternative names) and its key as PEM files. For tests and local use.
bool write_self_signed(const std::string& cert_file, const std::string& key_file,
                       const std::string& common_name, std::string& error);

} // namespace pushcheck::net
