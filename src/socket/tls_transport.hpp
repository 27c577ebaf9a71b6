// Socket layer, TLS filter: a Transport in front of another that speaks TLS (DTLS over UDP) with the
// peer, so the state machine reads and writes plaintext on one rx path whether a ctrl is secure or not.
// It runs the handshake as records arrive and reports Secured (or Failed); then it decrypts what arrives into at most
// kReadAhead bytes of plaintext held for the script, and stops reading the socket there, so a peer that keeps sending
// is held back by TCP's window as it is for plain TCP. Acknowledgements, queues and the peer address are the inner
// transport's.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "socket/transport_filter.hpp"
#include "tls/tls_context.hpp"
#include "tls/tls_session.hpp"

namespace luatnet::socket {

class TlsTransport final : public TransportFilter,
                           public std::enable_shared_from_this<TlsTransport>,
                           private tls::RecordIo {
 public:
  // Decrypted data held for a script that has not read it: four full records.
  static constexpr std::size_t kReadAhead = 64 * 1024;

  // Wraps `inner`, a connected transport, and becomes its listener. `handshake_limit` counts from
  // construction; `log_name` ("ctrl 7") starts its log lines.
  TlsTransport(asio::io_context& io, std::shared_ptr<Transport> inner, std::shared_ptr<const tls::TlsContext> context,
               bool tcp, std::chrono::milliseconds handshake_limit, std::string log_name);
  ~TlsTransport() override;

  // Client: the name the server's certificate must carry (sent as SNI), or for an IP `literal` the
  // address as the script wrote it in `host`.
  void expect_server(const std::string& host, const std::optional<asio::ip::address>& literal);
  // Starts the handshake; Secured or Failed follows.
  void start_handshake();

  // A listening socket stays plain: the state machine wraps each connection it takes.
  bool listen(std::uint16_t /*local_port*/, std::size_t /*max_pending*/) override { return false; }
  std::shared_ptr<Transport> take_client() override { return nullptr; }
  // TLS: all plaintext held; DTLS: the next datagram's.
  std::optional<std::size_t> pending() override;
  // TLS: a short `into` leaves the rest of the stream; DTLS: the rest of the datagram is dropped.
  std::optional<std::size_t> receive(std::span<std::uint8_t> into, Endpoint* from) override;
  // Encrypts and sends all of `data` (TLS: 0 when the inner queue is full and `may_refuse`).
  std::optional<std::size_t> send(std::span<const std::uint8_t> data, const Endpoint* to,
                                  bool may_refuse = true) override;
  // Sends close_notify, then the inner transport's FIN.
  void shutdown_send() override;
  void close() override;

 private:
  void on_transport_event(TransportEvent event) override;
  int send_record(std::span<const std::uint8_t> bytes) override;
  int receive_record(std::span<std::uint8_t> into) override;
  void step_handshake();
  // Decrypts what arrived, up to kReadAhead bytes held (all of it once the peer ended the stream: what is
  // left is bounded by the kernel's receive buffer), then reports new plaintext and the end, if any.
  void take_records(bool to_the_end);
  void hold(std::span<const std::uint8_t> plain);
  // After a read: a drained buffer lets a large block go (idle connections keep little).
  void release_read();
  [[nodiscard]] std::size_t held() const { return plaintext_.size() - read_at_; }

  asio::io_context& io_;
  std::unique_ptr<tls::TlsSession> session_;
  std::string log_name_;
  bool tcp_;
  bool secured_ = false;
  bool ended_ = false;         // the peer's close_notify, the inner transport's end, or a failure was told
  bool reads_paused_ = false;  // read-ahead full: records wait in the kernel
  bool closed_ = false;
  // Decrypted, read up to read_at_; what was read goes when the next record comes, so the buffer's block
  // is reused while a script reads in small pieces. DTLS: the sizes of the datagrams in it, in order.
  std::vector<std::uint8_t> plaintext_;
  std::size_t read_at_ = 0;
  std::vector<std::size_t> datagram_sizes_;
};

}  // namespace luatnet::socket
