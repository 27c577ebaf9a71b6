// TLS layer: one TLS or DTLS session over a socket's records. It runs the handshake step by step as
// records arrive (nothing blocks), encrypts what the script sends, decrypts what arrives into plaintext
// the socket hands to rx, sends close_notify, and keeps the DTLS retransmission timer and the handshake
// deadline on the loop. Records move through RecordIo, which the socket layer provides.
#pragma once

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "loop/timer.hpp"
#include "tls/tls_context.hpp"

namespace luatnet::tls {

class RecordIo {
 public:
  // Bytes taken (all of them) or a negative value on failure.
  virtual int send_record(std::span<const std::uint8_t> bytes) = 0;
  // Bytes read, 0 when nothing is there now, negative on failure.
  virtual int receive_record(std::span<std::uint8_t> into) = 0;

 protected:
  ~RecordIo() = default;
};

class TlsSession {
 public:
  // `on_timer` runs when a DTLS retransmission is due or the handshake deadline passes; the owner then
  // calls handshake() again.
  TlsSession(std::shared_ptr<const TlsContext> context, RecordIo& io, asio::io_context& loop,
             std::chrono::milliseconds handshake_limit, std::function<void()> on_timer);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // The host name the server certificate must carry (when the context verifies the peer); sent as SNI.
  void set_hostname(const std::string& host);
  // For a server given by IP address (`text` as the script wrote it): the certificate must list the
  // address among its subjectAltName IPs, or, as the firmware matches the literal, carry `text` as a DNS
  // name (or CN without subjectAltNames). Nothing is sent as SNI (RFC 6066).
  void expect_address(const asio::ip::address& address, const std::string& text);

  enum class Progress { Done, Waiting, Failed };
  Progress handshake();

  // Encrypts and sends all of `plain`; false on failure.
  bool write(std::span<const std::uint8_t> plain);

  struct ReadOutcome {
    std::size_t plain_bytes = 0;
    bool peer_closed = false;  // close_notify (or the transport ended)
    bool failed = false;
    bool budget_spent = false;  // stopped at `budget`: more may be waiting, and no read is armed for it
  };
  // Decrypts the records that have arrived until `budget` plaintext bytes were delivered; `deliver` gets
  // the plaintext of each read (for DTLS, one datagram's worth).
  ReadOutcome read_available(const std::function<void(std::span<const std::uint8_t>)>& deliver, std::size_t budget);

  void close_notify();
  [[nodiscard]] const std::string& last_error() const { return last_error_; }

 private:
  static int send_callback(void* self, const unsigned char* bytes, size_t length);
  static int receive_callback(void* self, unsigned char* into, size_t length);
  static void set_timer_callback(void* self, uint32_t intermediate_ms, uint32_t final_ms);
  static int get_timer_callback(void* self);
  static int verify_callback(void* self, mbedtls_x509_crt* certificate, int depth, uint32_t* flags);
  void arm_timer();

  using Clock = ProcessClock;
  std::shared_ptr<const TlsContext> context_;
  RecordIo& io_;
  mbedtls_ssl_context ssl_;
  loop::Timer timer_;
  std::function<void()> on_timer_;
  Clock::time_point handshake_deadline_;
  bool handshaking_ = true;
  // DTLS timer: cancelled when final_at_ is unset.
  std::optional<Clock::time_point> intermediate_at_;
  std::optional<Clock::time_point> final_at_;
  std::vector<unsigned char> peer_ip_;  // the IP literal's bytes (4 or 16), empty for a host name
  std::string peer_ip_text_;
  std::string last_error_;
  std::vector<std::uint8_t> scratch_;
};

}  // namespace luatnet::tls
