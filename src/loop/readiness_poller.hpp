// Event loop layer: edge-triggered readiness for the sockets of one io_context. Asio re-arms a
// descriptor with an epoll_ctl call on every async_wait, which a socket waiting once per request pays per
// request; here each socket is registered once (readable, writable, peer hang-up; edge-triggered) in an
// epoll instance of our own that Asio watches as a single descriptor. Readiness is harvested in batches
// on the loop thread and handed to each socket's handler with the events that were current then. Work a
// socket asks for per send (the look for acknowledgements once the script's turn is over) is deferred
// here too: one posted handler runs the deferred work of every socket that asked in the same turn.
#pragma once

#include <sys/epoll.h>

#include <array>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <optional>
#include <vector>

namespace luatnet::loop {

class ReadyHandler {
 public:
  // `epoll_events`: EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR as epoll reported them.
  virtual void on_ready(std::uint32_t epoll_events) = 0;
  // What the handler deferred with ReadinessPoller::defer (handlers that never defer have nothing to do).
  virtual void on_deferred() {}

 protected:
  ~ReadyHandler() = default;
};

class ReadinessPoller : public asio::execution_context::service {
 public:
  using key_type = ReadinessPoller;
  static asio::execution_context::id id;

  explicit ReadinessPoller(asio::io_context& io);
  ~ReadinessPoller() override;
  ReadinessPoller(const ReadinessPoller&) = delete;
  ReadinessPoller& operator=(const ReadinessPoller&) = delete;

  // The poller of `io`, made on first use.
  static ReadinessPoller& of(asio::io_context& io) { return asio::use_service<ReadinessPoller>(io); }

  struct Watch {
    std::uint32_t slot;
    std::uint32_t generation;
  };
  // Starts reporting `fd`'s readiness to `handler`; nullopt when the kernel refuses. The fd leaves the
  // epoll set by itself when it is closed.
  std::optional<Watch> watch(int fd, ReadyHandler& handler);
  // Stops reporting to the watch's handler, also for events already harvested or work deferred.
  void forget(Watch watch) noexcept;
  // Calls the watch's handler's on_deferred from the loop, after the running handler or script returns.
  // The handler asks at most once until it is called.
  void defer(Watch watch);

 private:
  void shutdown() override;
  void arm();
  void harvest();
  void run_deferred();
  [[nodiscard]] bool current(Watch watch) const;

  struct Slot {
    std::uint32_t generation = 0;
    ReadyHandler* handler = nullptr;
  };
  asio::posix::stream_descriptor descriptor_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::array<epoll_event, 256> events_{};  // one harvest's batch, kept so no harvest clears 3 KiB again
  std::vector<Watch> deferred_;            // asked in this turn; a handler is posted when the first asks
  std::vector<Watch> running_;             // the turn's deferred work being run (kept for its capacity)
};

}  // namespace luatnet::loop
