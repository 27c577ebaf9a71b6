// Socket layer: one operating-system socket (TCP, UDP, or a TCP listener) driven by the Asio loop. It is
// the adapter-facing half of a socket: it reports what the network did (connected, readable, all sent
// data acknowledged, closed by the peer, failed) to its owner and moves bytes straight between the kernel
// and the caller's buffer. What those reports mean for the script is the state machine's business.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include "loop/timer.hpp"
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "adapter/link_simulator.hpp"
#include "loop/readiness_poller.hpp"

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

class HostSocket final : public std::enable_shared_from_this<HostSocket>, private loop::ReadyHandler {
 public:
  enum class Event { Connected, Listening, NewClient, Readable, AllAcked, RemoteClosed, Failed, CloseDone };
  using Listener = std::function<void(Event)>;

  // Bytes queued beyond the kernel's buffer before tx reports "full".
  static constexpr std::size_t kSendQueueLimit = 256 * 1024;

  // A new socket, bound to the adapter's interface by `bind_to_interface`; nullptr when the OS refuses.
  static std::shared_ptr<HostSocket> open(asio::io_context& io, bool tcp, bool ipv6,
                                          const std::function<bool(int)>& bind_to_interface);
  // Takes ownership of `fd`; nullptr (fd closed) when its readiness cannot be watched.
  static std::shared_ptr<HostSocket> adopt(asio::io_context& io, int fd, bool tcp, bool ipv6);
  HostSocket(asio::io_context& io, int fd, bool tcp, bool ipv6);
  ~HostSocket();
  HostSocket(const HostSocket&) = delete;
  HostSocket& operator=(const HostSocket&) = delete;

  void set_listener(Listener listener) { listener_ = std::move(listener); }
  // The adapter's link simulator: while enabled, sends wait for their departure time, arrivals are
  // reported late, UDP datagrams may be lost and the send buffer is the simulated one.
  void set_simulator(adapter::LinkSimulator* simulator) { simulator_ = simulator; }
  // Asked before looking for acknowledgements: false while nobody waits for TX_OK (saves a call per tx).
  void set_ack_interest(std::function<bool()> interest) { ack_interest_ = std::move(interest); }

  // Starts connecting; the outcome arrives as Connected or Failed (also after `timeout`).
  bool connect(const Endpoint& remote, std::uint16_t local_port, const KeepAlive& keep_alive,
               std::chrono::milliseconds timeout);
  // Listens on `local_port` (both IPv4 and IPv6). max_pending 0: the first client becomes this socket;
  // otherwise up to max_pending accepted clients wait for take_client().
  bool listen(std::uint16_t local_port, std::size_t max_pending);
  // A waiting client (multi-client listen), or nullptr.
  std::shared_ptr<HostSocket> take_client();
  // Starts reporting Readable/RemoteClosed (for a socket handed over by take_client).
  void start_reading();
  // Reports Readable once more (a TLS session may hold records that arrived with the handshake).
  void post_readable() { post_event(Event::Readable); }

  [[nodiscard]] const std::optional<Endpoint>& peer() const { return peer_; }
  [[nodiscard]] bool is_tcp() const { return tcp_; }

  // TCP: all buffered bytes; UDP: the size of the next datagram. nullopt on error.
  std::optional<std::size_t> pending();
  // Reads into `into` (a UDP datagram longer than `into` loses its rest); nullopt on error.
  std::optional<std::size_t> receive(std::span<std::uint8_t> into, Endpoint* from);
  // Queues all of `data` (0 when the queue is full and `may_refuse`, nothing taken); nullopt on error.
  std::optional<std::size_t> send(std::span<const std::uint8_t> data, const Endpoint* to, bool may_refuse = true);
  // True when a TCP send would now be refused as full.
  [[nodiscard]] bool queue_full();
  // TCP: every byte sent so far has left this process and been acknowledged by the peer. Asked when data
  // arrives; a yes tells the socket that replies carry its acknowledgements (see send_now).
  [[nodiscard]] bool all_acknowledged();
  // TCP: sends FIN once queued data is out; CloseDone follows.
  void shutdown_send();
  void close();

 private:
  void on_ready(std::uint32_t epoll_events) override;
  bool watch_descriptor();
  void emit(Event event);
  void post_event(Event event);
  enum class ReadState { Data, Closed, Nothing, Error };
  ReadState probe_read();
  ReadState probe_ready();
  void report_read_state(ReadState state, bool arrival_delayed = false);
  [[nodiscard]] bool simulated() const { return simulator_ != nullptr && simulator_->enabled(); }
  // TCP: the kernel's queue was empty when last counted and no readable edge or hang-up came since.
  [[nodiscard]] bool drained_since_last_edge() const { return tcp_ && known_pending_ == 0 && !hangup_seen_; }
  std::size_t kernel_unacknowledged();
  std::optional<std::size_t> send_simulated(std::span<const std::uint8_t> data, const Endpoint* to, bool may_refuse);
  std::optional<std::size_t> send_now(std::span<const std::uint8_t> data, const Endpoint* to, bool may_refuse);
  void schedule_departures();
  void arm_read();
  void arm_write();
  void accept_clients();
  void pause_accepting();
  void become_connection(int client, const Endpoint& peer);
  void flush();
  void schedule_ack_check();
  void check_acknowledged();
  void look_again_later();
  void on_connected(std::error_code error);
  void finish_connect();
  void apply_keep_alive(const KeepAlive& keep_alive);

  asio::io_context& io_;
  loop::ReadinessPoller& poller_;
  int fd_;
  std::optional<loop::ReadinessPoller::Watch> watch_;
  std::unique_ptr<loop::Timer> timer_;  // connect timeout, then acknowledgement polling
  Listener listener_;
  std::function<bool()> ack_interest_;
  adapter::LinkSimulator* simulator_ = nullptr;
  struct Departing {
    ProcessClock::time_point at;
    std::vector<std::uint8_t> bytes;
    std::optional<Endpoint> to;
  };
  // Lists rather than deques: an empty deque already holds a 512-byte block, and most sockets never queue.
  std::list<Departing> departing_;  // simulated link: bytes waiting for their departure time
  std::size_t departing_bytes_ = 0;
  std::unique_ptr<loop::Timer> departure_timer_;
  std::unique_ptr<loop::Timer> arrival_timer_;
  // TCP bytes the kernel holds, as last asked; forgotten when readiness is reported (more may have come).
  std::optional<std::size_t> known_pending_;
  bool tcp_;
  bool ipv6_;
  bool closed_ = false;
  // Where the next read report comes from: a readiness edge, a queued look, or a simulated arrival.
  enum class ReadWait { None, Edge, Posted, Arrival };
  ReadWait read_wait_ = ReadWait::None;
  bool writing_ = false;       // waiting for a writable edge to flush unsent_
  bool connecting_ = false;    // waiting for a writable edge to finish connect()
  bool hangup_seen_ = false;   // the peer closed or failed: every read wait must look first
  bool end_reported_ = false;  // RemoteClosed was emitted: later looks at the ended stream stay quiet
  bool listening_ = false;
  bool accepting_ = false;  // waiting for a readable edge on the listener
  bool connected_ = false;
  bool shutdown_after_flush_ = false;
  bool ack_check_scheduled_ = false;
  bool acks_come_with_replies_ = false;  // the last acknowledgement was found as the peer's data arrived
  std::chrono::milliseconds ack_poll_{1};
  std::size_t max_pending_ = 0;
  std::optional<Endpoint> peer_;
  std::vector<std::uint8_t> unsent_;
  std::size_t unsent_offset_ = 0;
  struct Waiting {
    int fd;
    Endpoint peer;
  };
  std::list<Waiting> waiting_clients_;
};

}  // namespace luatnet::socket
