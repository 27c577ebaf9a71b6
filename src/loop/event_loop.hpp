// Event loop layer: one asio io_context on the Lua thread, the message bus and the timer service.
// next() runs I/O until a message is ready, so the Lua VM and the network share one thread and nothing
// blocks; it reports "idle" when no timer, message or activity (open sockets, DNS lookups: reported by
// probes) is left that could ever produce a message. Watches such as the netlink link watch do not count.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "loop/message_bus.hpp"
#include "loop/timer_service.hpp"

namespace luatnet::loop {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;

  EventLoop() : timers_(io_, bus_) {}

  enum class Outcome { Message, Idle, Deadline, Stopped };
  struct Next {
    Outcome outcome;
    std::optional<Message> message;
  };

  // Waits for the next message until `deadline` (none: no limit).
  Next next(std::optional<Clock::time_point> deadline);

  // A probe answers whether its owner still has work under way that will post messages.
  void add_activity_probe(std::function<bool()> probe) { probes_.push_back(std::move(probe)); }

  // Makes next() return Stopped from now on (os.exit path, --timeout, fatal script error).
  void request_stop() { stop_requested_ = true; }
  [[nodiscard]] bool stop_requested() const { return stop_requested_; }

  asio::io_context& io() { return io_; }
  MessageBus& bus() { return bus_; }
  TimerService& timers() { return timers_; }

 private:
  asio::io_context io_;
  MessageBus bus_;
  TimerService timers_;
  std::vector<std::function<bool()>> probes_;
  bool stop_requested_ = false;

  [[nodiscard]] bool active() const;
};

}  // namespace luatnet::loop
