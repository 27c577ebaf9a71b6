// Event loop layer: one asio io_context on the Lua thread, the message bus and the timer service.
// next() runs I/O until a message is ready, so the Lua VM and the network share one thread and nothing
// blocks; it reports "idle" when no I/O, timer or message is left that could ever produce a message.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <optional>

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

  // Runs ready handlers without waiting (used between Lua calls to keep sockets moving).
  void poll() { io_.poll(); }

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
  bool stop_requested_ = false;
};

}  // namespace luatnet::loop
