#include "tls/tls_context.hpp"

#include <mbedtls/debug.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>

#include <cstring>
#include <stdexcept>

#include "common/logger.hpp"

namespace luatnet::tls {
namespace {

// PEM data must reach mbedTLS with its terminating NUL counted; DER as it is.
int parse_certificates(mbedtls_x509_crt* chain, const std::string& data) {
  bool pem = data.find("-----BEGIN") != std::string::npos;
  return mbedtls_x509_crt_parse(chain, reinterpret_cast<const unsigned char*>(data.c_str()),
                                data.size() + (pem ? 1 : 0));
}

int parse_key(mbedtls_pk_context* key, const std::string& data, const std::string& password) {
  bool pem = data.find("-----BEGIN") != std::string::npos;
  return mbedtls_pk_parse_key(key, reinterpret_cast<const unsigned char*>(data.c_str()), data.size() + (pem ? 1 : 0),
                              password.empty() ? nullptr : reinterpret_cast<const unsigned char*>(password.data()),
                              password.size());
}

void debug_to_log(void* /*context*/, int level, const char* file, int line, const char* text) {
  std::string message = std::string(file) + ":" + std::to_string(line) + " " + text;
  while (!message.empty() && message.back() == '\n') message.pop_back();
  Logger::instance().log(level <= 1 ? LogLevel::Warn : LogLevel::Debug, "tls", message);
}

}  // namespace

std::string describe_error(int code) {
  char text[160];
  mbedtls_strerror(code, text, sizeof text);
  char hex[16];
  std::snprintf(hex, sizeof hex, "-0x%04x", static_cast<unsigned>(-code));
  return std::string("mbedTLS ") + hex + ": " + text;
}

mbedtls_ctr_drbg_context* random_generator() {
  struct Generator {
    Generator() {
      mbedtls_entropy_init(&entropy);
      mbedtls_ctr_drbg_init(&drbg);
      static const char kPersonal[] = "luatnet";
      if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy,
                                reinterpret_cast<const unsigned char*>(kPersonal), sizeof kPersonal - 1) != 0) {
        throw std::runtime_error("cannot seed the TLS random generator");
      }
    }
    ~Generator() {
      mbedtls_ctr_drbg_free(&drbg);
      mbedtls_entropy_free(&entropy);
    }
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
  };
  static Generator generator;
  return &generator.drbg;
}

std::optional<Credentials> make_credentials(bool datagram, const std::optional<std::string>& server_cert,
                                            const std::optional<std::string>& client_cert,
                                            const std::optional<std::string>& client_key,
                                            const std::optional<std::string>& client_password, std::string& error) {
  Credentials credentials;
  credentials.datagram = datagram;
  bool certificate_mode = !datagram || client_key || (server_cert && !client_cert);
  if (!certificate_mode) {
    if (!server_cert || server_cert->empty()) {
      error = "DTLS PSK mode needs the PSK (server_cert argument)";
      return std::nullopt;
    }
    credentials.psk = *server_cert;
    credentials.psk_identity = client_cert.value_or(client_key.value_or(""));
    return credentials;
  }
  // Given but empty is not "not given": the firmware cannot parse it and answers false, rather than
  // silently leaving verification (or the client certificate) out.
  if ((server_cert && server_cert->empty()) || (client_cert && client_cert->empty()) ||
      (client_key && client_key->empty())) {
    error = "empty certificate or key data (give nil to leave it out)";
    return std::nullopt;
  }
  credentials.ca = server_cert.value_or("");
  credentials.own_cert = client_cert.value_or("");
  credentials.own_key = client_key.value_or("");
  credentials.key_password = client_password.value_or("");
  // Parse now so that config can answer false, as the firmware does for data it cannot use.
  mbedtls_x509_crt probe;
  mbedtls_x509_crt_init(&probe);
  int result = 0;
  if (!credentials.ca.empty() && (result = parse_certificates(&probe, credentials.ca)) != 0) {
    error = "server_cert (CA) cannot be parsed: " + describe_error(result);
  }
  mbedtls_x509_crt_free(&probe);
  mbedtls_x509_crt_init(&probe);
  if (error.empty() && !credentials.own_cert.empty() &&
      (result = parse_certificates(&probe, credentials.own_cert)) != 0) {
    error = "client_cert cannot be parsed: " + describe_error(result);
  }
  mbedtls_x509_crt_free(&probe);
  if (error.empty() && !credentials.own_cert.empty() != !credentials.own_key.empty()) {
    error = "client_cert and client_key go together";
  }
  if (error.empty() && !credentials.own_key.empty()) {
    mbedtls_pk_context key;
    mbedtls_pk_init(&key);
    if ((result = parse_key(&key, credentials.own_key, credentials.key_password)) != 0) {
      error = "client_key cannot be used (wrong data or client_password?): " + describe_error(result);
    }
    mbedtls_pk_free(&key);
  }
  if (!error.empty()) return std::nullopt;
  return credentials;
}

TlsContext::TlsContext() {
  mbedtls_ssl_config_init(&config_);
  mbedtls_x509_crt_init(&ca_);
  mbedtls_x509_crt_init(&own_cert_);
  mbedtls_pk_init(&own_key_);
}

TlsContext::~TlsContext() {
  mbedtls_pk_free(&own_key_);
  mbedtls_x509_crt_free(&own_cert_);
  mbedtls_x509_crt_free(&ca_);
  mbedtls_ssl_config_free(&config_);
}

std::shared_ptr<TlsContext> TlsContext::create(const Credentials& credentials, Role role, std::string& error) {
  std::shared_ptr<TlsContext> context(new TlsContext());
  context->datagram_ = credentials.datagram;
  int result = mbedtls_ssl_config_defaults(
      &context->config_, role == Role::Client ? MBEDTLS_SSL_IS_CLIENT : MBEDTLS_SSL_IS_SERVER,
      credentials.datagram ? MBEDTLS_SSL_TRANSPORT_DATAGRAM : MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (result != 0) {
    error = describe_error(result);
    return nullptr;
  }
  mbedtls_ssl_conf_rng(&context->config_, mbedtls_ctr_drbg_random, random_generator());
  mbedtls_ssl_conf_dbg(&context->config_, debug_to_log, nullptr);
  mbedtls_ssl_conf_min_version(&context->config_, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
  if (credentials.uses_psk()) {
    result = mbedtls_ssl_conf_psk(
        &context->config_, reinterpret_cast<const unsigned char*>(credentials.psk.data()), credentials.psk.size(),
        reinterpret_cast<const unsigned char*>(credentials.psk_identity.data()), credentials.psk_identity.size());
    if (result != 0) {
      error = "PSK rejected: " + describe_error(result);
      return nullptr;
    }
    mbedtls_ssl_conf_authmode(&context->config_, MBEDTLS_SSL_VERIFY_NONE);
    return context;
  }
  if (!credentials.ca.empty()) {
    parse_certificates(&context->ca_, credentials.ca);
    mbedtls_ssl_conf_ca_chain(&context->config_, &context->ca_, nullptr);
  }
  // As the firmware's network adapter decides: a client verifies the server when a CA or a client
  // certificate is configured (a client certificate without a CA then trusts no server), and otherwise
  // only encrypts ("the most ordinary encrypted TCP"). A server, whose own certificate is always there,
  // requires and checks client certificates when it has a CA.
  context->verifies_peer_ = !credentials.ca.empty() || (role == Role::Client && !credentials.own_cert.empty());
  mbedtls_ssl_conf_authmode(&context->config_,
                            context->verifies_peer_ ? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
  if (!credentials.own_cert.empty()) {
    parse_certificates(&context->own_cert_, credentials.own_cert);
    parse_key(&context->own_key_, credentials.own_key, credentials.key_password);
    result = mbedtls_ssl_conf_own_cert(&context->config_, &context->own_cert_, &context->own_key_);
    if (result != 0) {
      error = "certificate and key do not fit together: " + describe_error(result);
      return nullptr;
    }
  } else if (role == Role::Server) {
    error = "a TLS server needs its certificate and key (client_cert and client_key of socket.config)";
    return nullptr;
  }
  return context;
}

void TlsContext::set_debug_level(int level) { mbedtls_debug_set_threshold(level); }

}  // namespace luatnet::tls
