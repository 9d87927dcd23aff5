#include "pushcheck/net/tls.hpp"
#include "pushcheck/net/ca.hpp"

#include <openssl/err.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstdio>
#include <memory>

namespace pushcheck::net {

namespace ssl = boost::asio::ssl;

boost::system::error_code make_client_context(ssl::context& ctx, const std::string& ca_file,
                                              bool insecure) {
    boost::system::error_code ec;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (insecure) {
        ctx.set_verify_mode(ssl::verify_none, ec);
        return ec;
    }
    ctx.set_verify_mode(ssl::verify_peer, ec);
    if (ec) return ec;
    if (!ca_file.empty())
        ctx.load_verify_file(ca_file, ec);
    else
        ctx.set_default_verify_paths(ec);
    return ec;
}

boost::system::error_code make_server_context(ssl::context& ctx, const std::string& cert_file,
                                              const std::string& key_file) {
    boost::system::error_code ec;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::single_dh_use);
    ctx.use_certificate_chain_file(cert_file, ec);
    if (ec) return ec;
    ctx.use_private_key_file(key_file, ssl::context::pem, ec);
    return ec;
}

std::string check_ca_file(const std::string& path) {
    std::unique_ptr<FILE, decltype(&fclose)> f(std::fopen(path.c_str(), "rb"), fclose);
    if (!f) return "cannot open '" + path + "'";
    int count = 0;
    ERR_clear_error();
    while (X509* cert = PEM_read_X509(f.get(), nullptr, nullptr, nullptr)) {
        ++count;
        X509_free(cert);
    }
    ERR_clear_error();  // the read that ends the loop leaves "no start line" behind
    if (count == 0) return "'" + path + "' holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)";
    return "";
}

bool write_self_signed(const std::string& cert_file, const std::string& key_file,
                       const std::string& common_name, std::string& error) {
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), EVP_PKEY_free);
    if (!key) { error = "RSA key generation failed"; return false; }
    std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
    std::string san = "DNS:" + common_name + ",DNS:localhost,IP:127.0.0.1";
    if (X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, san.c_str())) {
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    if (!X509_sign(cert.get(), key.get(), EVP_sha256())) { error = "signing failed"; return false; }
    std::unique_ptr<FILE, decltype(&fclose)> kf(std::fopen(key_file.c_str(), "wb"), fclose);
    std::unique_ptr<FILE, decltype(&fclose)> cf(std::fopen(cert_file.c_str(), "wb"), fclose);
    if (!kf || !cf) { error = "cannot write " + (kf ? cert_file : key_file); return false; }
    if (!PEM_write_PrivateKey(kf.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ||
        !PEM_write_X509(cf.get(), cert.get())) {
        error = "PEM write failed";
        return false;
    }
    return true;
}

} // namespace pushcheck::net
