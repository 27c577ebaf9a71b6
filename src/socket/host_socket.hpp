// Socket layer, host backend: one operating-system socket (TCP, UDP, or a TCP listener) on the loop's
// ReadinessPoller, as a Transport. It reports what the kernel did (connected, readable, all sent data
// acknowledged, closed by the peer, failed, with the errno kept for last_error) to its listener and moves
// bytes straight between the kernel and the caller's buffer. What those reports mean for the script is
// the state machine's business.
#pragma once

#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "loop/readiness_poller.hpp"
#include "loop/timer.hpp"
#include "loop/weak_handler.hpp"
#include "socket/transport.hpp"

namespace luatnet::socket {

class HostSocket final : public Transport, public std::enable_shared_from_this<HostSocket>, private loop::ReadyHandler {
 public:
  // A new socket, bound to the adapter's interface by `bind_to_interface`; nullptr when the OS refuses.
  static std::shared_ptr<HostSocket> open(asio::io_context& io, bool tcp, bool ipv6,
                                          const std::function<bool(int)>& bind_to_interface);
  // Takes ownership of `fd`; nullptr (fd closed) when its readiness cannot be watched.
  static std::shared_ptr<HostSocket> adopt(asio::io_context& io, int fd, bool tcp, bool ipv6);
  HostSocket(asio::io_context& io, int fd, bool tcp, bool ipv6);
  ~HostSocket() override;
  HostSocket(const HostSocket&) = delete;
  HostSocket& operator=(const HostSocket&) = delete;

  void set_listener(TransportListener* listener) override { listener_ = listener; }
  bool connect(const Endpoint& remote, std::uint16_t local_port, const KeepAlive& keep_alive,
               std::chrono::milliseconds timeout) override;
  bool listen(std::uint16_t local_port, std::size_t max_pending) override;
  std::shared_ptr<Transport> take_client() override;
  void start_reading() override;

  [[nodiscard]] const std::optional<Endpoint>& peer() const override { return peer_; }
  [[nodiscard]] std::error_code last_error() const override { return error_; }

  std::optional<std::size_t> pending() override;
  std::optional<std::size_t> receive(std::span<std::uint8_t> into, Endpoint* from) override;
  std::optional<std::size_t> send(std::span<const std::uint8_t> data, const Endpoint* to,
                                  bool may_refuse = true) override;
  [[nodiscard]] std::size_t queued_bytes() const override { return unsent_.size() - unsent_offset_; }
  [[nodiscard]] std::size_t unacknowledged_bytes() override;
  [[nodiscard]] bool queue_full() override;
  // Asked when data arrives; a yes tells the socket that replies carry its acknowledgements (see send).
  [[nodiscard]] bool all_acknowledged() override;
  void shutdown_send() override;
  void close() override;

 private:
  void on_ready(std::uint32_t epoll_events) override;
  void on_deferred() override;
  bool watch_descriptor();
  void emit(TransportEvent event);
  void post_event(TransportEvent event);
  // Runs `work(*this)` from the loop if this socket still exists then (loop/weak_handler.hpp).
  template <typename Work>
  void post(Work work) {
    asio::post(io_, loop::weak_handler(weak_from_this(), std::move(work)));
  }
  // A negative result keeps errno as last_error(); returns `result`.
  int checked(int result);
  // Fails the socket: errno is kept as last_error(), then Failed is reported.
  void fail();
  enum class ReadState { Data, Closed, Nothing, Error };
  ReadState probe_read();
  ReadState probe_ready();
  void report_read_state(ReadState state);
  // TCP: the kernel's queue was empty when last counted and no readable edge or hang-up came since.
  [[nodiscard]] bool drained_since_last_edge() const { return tcp_ && known_pending_ == 0 && !hangup_seen_; }
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
  // The socket's pending error (SO_ERROR), also kept as last_error() when there is one.
  std::error_code take_socket_error();
  void apply_keep_alive(const KeepAlive& keep_alive);

  asio::io_context& io_;
  loop::ReadinessPoller& poller_;
  int fd_;
  std::optional<loop::ReadinessPoller::Watch> watch_;
  std::unique_ptr<loop::Timer> timer_;  // connect timeout, then acknowledgement polling
  TransportListener* listener_ = nullptr;
  std::error_code error_;
  // TCP bytes the kernel holds, as last asked; forgotten when readiness is reported (more may have come).
  std::optional<std::size_t> known_pending_;
  bool tcp_;
  bool ipv6_;
  bool closed_ = false;
  // What the socket is for now: closed_ may end any of these.
  enum class Phase { Opened, Connecting, Connected, Listening };
  Phase phase_ = Phase::Opened;
  // Where the next read report comes from: a readiness edge or a queued look.
  enum class ReadWait { None, Edge, Posted };
  ReadWait read_wait_ = ReadWait::None;
  bool writing_ = false;       // waiting for a writable edge to flush unsent_
  bool hangup_seen_ = false;   // the peer closed or failed: every read wait must look first
  bool end_reported_ = false;  // RemoteClosed was emitted: later looks at the ended stream stay quiet
  bool accepting_ = false;     // waiting for a readable edge on the listener
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
  // A list rather than a deque: an empty deque already holds a 512-byte block, and most sockets never listen.
  std::list<Waiting> waiting_clients_;
};

}  // namespace luatnet::socket
