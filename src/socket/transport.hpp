// Socket layer: the adapter backend interface, as the firmware's adapter vtable is one. A Backend is one
// adapter's network stack (whether its link is up, its DNS, how many sockets and clients it allows) and
// opens Transports; a Transport is one socket on it (connect, listen/accept, send, receive, acknowledged
// bytes, close) that reports what the network did to its TransportListener, the per-ctrl state machine.
// The host's descriptors, a simulated link, a hardware stack's limits and the unit tests' in-memory peer
// are backends; the state machine sees only these two classes.
#pragma once

#include <asio/ip/address.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace luatnet::socket {

struct Endpoint {
  asio::ip::address address;
  std::uint16_t port = 0;
};

struct KeepAlive {
  bool enabled = false;
  int idle_s = 0;
  int interval_s = 0;
  int count = 0;
};

// What a Transport reports. Readable comes once per arrival and again only after the listener read
// (TCP: everything it was told of); RemoteClosed and Failed end the connection; CloseDone follows
// shutdown_send. AllAcked: everything sent so far has reached the peer (UDP: has left). Secured: a TLS
// filter's handshake is done (after Connected).
enum class TransportEvent {
  Connected,
  Listening,
  NewClient,
  Readable,
  AllAcked,
  RemoteClosed,
  Failed,
  CloseDone,
  Secured
};

class TransportListener {
 public:
  virtual void on_transport_event(TransportEvent event) = 0;
  // Asked before looking for acknowledgements: false while nobody waits for TX_OK (saves work per send).
  [[nodiscard]] virtual bool awaits_acknowledgement() const = 0;

 protected:
  ~TransportListener() = default;
};

class Transport {
 public:
  // Bytes a transport may queue beyond what the network took before a send reports "full".
  static constexpr std::size_t kSendQueueLimit = 256 * 1024;

  virtual ~Transport() = default;

  // nullptr: nothing is reported any more (close() clears it too).
  virtual void set_listener(TransportListener* listener) = 0;

  // Starts connecting; the outcome arrives as Connected or Failed (also after `timeout`). false: refused
  // at once (last_error() says why).
  virtual bool connect(const Endpoint& remote, std::uint16_t local_port, const KeepAlive& keep_alive,
                       std::chrono::milliseconds timeout) = 0;
  // Listens on `local_port` (both IPv4 and IPv6 where the socket is IPv6). max_pending 0: the first client
  // becomes this transport (NewClient); otherwise up to max_pending accepted clients wait for take_client().
  virtual bool listen(std::uint16_t local_port, std::size_t max_pending) = 0;
  // A waiting client (multi-client listen), already connected, or nullptr.
  virtual std::shared_ptr<Transport> take_client() = 0;
  // Starts reporting Readable/RemoteClosed (for a transport handed over by take_client).
  virtual void start_reading() = 0;

  [[nodiscard]] virtual const std::optional<Endpoint>& peer() const = 0;
  // Why the last operation or the last Failed went wrong (an errno value for the host backend).
  [[nodiscard]] virtual std::error_code last_error() const = 0;

  // TCP: all bytes there are to read; UDP: the size of the next datagram. nullopt on error.
  virtual std::optional<std::size_t> pending() = 0;
  // Reads into `into` (a UDP datagram longer than `into` loses its rest); nullopt on error.
  virtual std::optional<std::size_t> receive(std::span<std::uint8_t> into, Endpoint* from) = 0;
  // Takes all of `data` (0 when full and `may_refuse`: nothing taken); nullopt on error.
  virtual std::optional<std::size_t> send(std::span<const std::uint8_t> data, const Endpoint* to,
                                          bool may_refuse = true) = 0;
  // Bytes taken by send that have not yet been handed to the network.
  [[nodiscard]] virtual std::size_t queued_bytes() const = 0;
  // TCP: bytes handed to the network that the peer has not acknowledged yet.
  [[nodiscard]] virtual std::size_t unacknowledged_bytes() = 0;
  // True when a TCP send would now be refused as full.
  [[nodiscard]] virtual bool queue_full() = 0;
  // TCP: every byte sent so far has been acknowledged by the peer.
  [[nodiscard]] virtual bool all_acknowledged() = 0;
  // TCP: sends FIN once queued data is out; CloseDone follows.
  virtual void shutdown_send() = 0;
  virtual void close() = 0;
};

class Backend {
 public:
  using Addresses = std::vector<asio::ip::address>;
  using ResolveCallback = std::function<void(Addresses)>;

  virtual ~Backend() = default;

  // A new, unconnected socket; nullptr when the stack refuses (no socket left, the OS said no).
  virtual std::shared_ptr<Transport> open(bool tcp, bool ipv6) = 0;
  // The adapter's link is up and it has an address.
  [[nodiscard]] virtual bool link_ready() const = 0;
  // Looks `host` up with the adapter's DNS servers; the callback gets the addresses (empty: not found).
  // Dropping the returned handle cancels the lookup.
  [[nodiscard]] virtual std::shared_ptr<void> resolve(const std::string& host, bool prefer_ipv6,
                                                      ResolveCallback callback) = 0;
  // listen(ctrl, N > 0) can hand out several clients (a hardware stack's socket serves one).
  [[nodiscard]] virtual bool accepts_many() const = 0;
  // Ctrls the stack can hold at once; 0: no limit.
  [[nodiscard]] virtual std::size_t max_sockets() const = 0;
};

}  // namespace luatnet::socket
