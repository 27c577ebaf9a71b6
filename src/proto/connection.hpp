// Protocol layer: the one way protocol modules (http, mqtt, websocket, sntp, ftp) reach the network. A
// Connection drives one SocketCtrl of the socket core from C++, as the firmware's protocol libraries drive
// a network_ctrl: the adapter, its DNS servers, TLS options, simulated link and send-buffer limit all apply
// exactly as for a script's ctrl. It keeps the bytes the socket cannot take yet and sends them in order,
// drains received data, and reports to its owner through plain callbacks, never from inside the state
// machine's own call (reports are posted to the loop). The socket core knows nothing of protocols.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "socket/socket_registry.hpp"

namespace luatnet::proto {

struct ConnectionOptions {
  int adapter_index = 0;
  bool tcp = true;
  bool prefer_ipv6 = false;
  std::optional<tls::Credentials> tls;  // set: TLS over TCP (DTLS over UDP)
  std::chrono::milliseconds connect_timeout{10000};
  socket::KeepAlive keep_alive;
};

struct ConnectionHandlers {
  std::function<void()> connected;                              // online (TLS: after the handshake)
  std::function<void(std::span<const std::uint8_t>)> received;  // stream bytes, or one datagram
  std::function<void()> drained;                                // every queued byte sent and acknowledged
  // The connection ended: 0 after close() completed gracefully, negative when connecting failed, the
  // peer closed or the link went down. No callback follows it.
  std::function<void(int)> closed;
};

// The handlers of a connection that an owner opens again and again (reconnecting clients): each reaches
// the owner only while it lives, tagged with the `generation` of the connection it belongs to, so the
// owner can drop a late report of a connection it has already replaced. `drained` may be null.
template <typename Owner>
ConnectionHandlers handlers_for(const std::weak_ptr<Owner>& owner, std::uint64_t generation,
                                void (Owner::*connected)(std::uint64_t),
                                void (Owner::*received)(std::uint64_t, std::span<const std::uint8_t>),
                                std::type_identity_t<void (Owner::*)(std::uint64_t)> drained,
                                void (Owner::*closed)(std::uint64_t, int)) {
  ConnectionHandlers handlers{.connected =
                                  [owner, generation, connected] {
                                    if (auto self = owner.lock()) ((*self).*connected)(generation);
                                  },
                              .received =
                                  [owner, generation, received](std::span<const std::uint8_t> bytes) {
                                    if (auto self = owner.lock()) ((*self).*received)(generation, bytes);
                                  },
                              .drained = {},
                              .closed =
                                  [owner, generation, closed](int result) {
                                    if (auto self = owner.lock()) ((*self).*closed)(generation, result);
                                  }};
  if (drained != nullptr) {
    handlers.drained = [owner, generation, drained] {
      if (auto self = owner.lock()) ((*self).*drained)(generation);
    };
  }
  return handlers;
}

class Connection final : public std::enable_shared_from_this<Connection>, private socket::EventSink {
 public:
  // nullptr when the adapter does not exist or has no socket left.
  static std::shared_ptr<Connection> create(socket::SocketRegistry& sockets, asio::io_context& io,
                                            const ConnectionOptions& options, ConnectionHandlers handlers);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts connecting to `host` (an IP literal or a name for the adapter's DNS, asked for IPv6 first when
  // the options prefer it). false: failed at once.
  bool open(const std::string& host, std::uint16_t port);
  // Queues bytes (a datagram, on UDP); they leave in order as the socket accepts them. false: not online.
  bool send(std::span<const std::uint8_t> bytes);
  bool send(std::string_view text) {
    return send(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  }
  // Bytes queued here that the socket has not taken yet.
  [[nodiscard]] std::size_t queued() const { return queued_bytes_; }
  [[nodiscard]] bool online() const;
  // Closes after the queued bytes are sent (FIN for TCP); `closed(0)` follows.
  void close();
  // Drops the socket now; no callback follows.
  void abort();

 private:
  Connection(socket::SocketRegistry& sockets, asio::io_context& io, ConnectionHandlers handlers);
  void socket_event(std::uint64_t ctrl_id, int event, int param) override;
  void on_event(int event, int param);
  void drain_received();
  void push_queued();
  void disconnect();
  void finish(int result);
  void release_ctrl();

  socket::SocketRegistry& sockets_;
  asio::io_context& io_;
  ConnectionHandlers handlers_;
  socket::SocketCtrl* ctrl_ = nullptr;
  std::uint64_t ctrl_id_ = 0;
  std::deque<std::vector<std::uint8_t>> queue_;  // not yet taken by the socket, oldest first
  std::size_t front_offset_ = 0;                 // bytes of queue_.front() already taken
  std::size_t queued_bytes_ = 0;
  bool awaiting_ack_ = false;
  bool closing_ = false;
  bool finished_ = false;
  bool prefer_ipv6_ = false;
  std::vector<std::uint8_t> receive_buffer_;
};

}  // namespace luatnet::proto
