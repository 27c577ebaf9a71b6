// TLS layer: what socket.config's encryption arguments become. Credentials holds the raw arguments after
// they were checked; TlsContext is the mbedTLS configuration for one role (client or server) and one
// transport (TLS over TCP, DTLS over UDP), shared by a ctrl and the clients it accepts.
#pragma once

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <memory>
#include <optional>
#include <string>

namespace luatnet::tls {

struct Credentials {
  bool datagram = false;     // DTLS (socket.config's is_udp with is_tls)
  std::string ca;            // server_cert: CA data (PEM or DER) that the peer must chain to
  std::string own_cert;      // client_cert: this side's certificate (the server's own, when listening)
  std::string own_key;       // client_key
  std::string key_password;  // client_password
  std::string psk;           // DTLS PSK mode: server_cert is the key ...
  std::string psk_identity;  // ... and client_cert the identity
  [[nodiscard]] bool uses_psk() const { return !psk.empty(); }
};

// Checks the arguments of socket.config as the firmware sorts them (DTLS: PSK unless a client key is
// given or a CA comes without a client certificate). nullopt and `error` say what is wrong.
std::optional<Credentials> make_credentials(bool datagram, const std::optional<std::string>& server_cert,
                                            const std::optional<std::string>& client_cert,
                                            const std::optional<std::string>& client_key,
                                            const std::optional<std::string>& client_password, std::string& error);

class TlsContext {
 public:
  enum class Role { Client, Server };
  // nullptr and `error` when a certificate or key cannot be used for that role.
  static std::shared_ptr<TlsContext> create(const Credentials& credentials, Role role, std::string& error);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  [[nodiscard]] const mbedtls_ssl_config* config() const { return &config_; }
  [[nodiscard]] bool verifies_peer() const { return verifies_peer_; }
  [[nodiscard]] bool datagram() const { return datagram_; }

  // socket.sslLog: mbedTLS debug threshold 0 (quiet) .. 4 (verbose), routed into the log.
  static void set_debug_level(int level);

 private:
  TlsContext();
  mbedtls_ssl_config config_;
  mbedtls_x509_crt ca_;
  mbedtls_x509_crt own_cert_;
  mbedtls_pk_context own_key_;
  bool verifies_peer_ = false;
  bool datagram_ = false;
};

// "mbedTLS -0x2700: X509 - Certificate verification failed" style text for a return code.
std::string describe_error(int code);
// The process's random generator (seeded once from the system's entropy).
mbedtls_ctr_drbg_context* random_generator();

}  // namespace luatnet::tls
