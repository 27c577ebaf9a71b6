// Event loop layer: one asio io_context on the Lua thread, the message bus and the timer service.
// next() runs I/O until a message is ready, so the Lua VM and the network share one thread and nothing
// blocks; it reports "idle" when no message is queued, no script timer runs and no ActiveHandle is held
// (activity.hpp: sockets with work under way, pending reconnects, pings, scheduled link changes), so
// nothing is left that could ever produce a message. Watches such as the netlink link watch hold none.
// Under virtual time, once nothing has happened for kQuietWindow of real time, next() moves the
// ProcessClock to the earliest pending timer (or its own deadline) instead of waiting for it.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <optional>

#include "common/process_clock.hpp"
#include "loop/activity.hpp"
#include "loop/message_bus.hpp"
#include "loop/timer.hpp"
#include "loop/timer_service.hpp"

namespace luatnet::loop {

class EventLoop {
 public:
  using Clock = ProcessClock;
  // Under virtual time: how long the process must have been quiet (no I/O, no message, in real time)
  // before the clock jumps. Long enough for a peer on loopback to answer, short enough to skip waits fast.
  static constexpr std::chrono::milliseconds kQuietWindow{30};

  EventLoop() : timers_(io_, bus_), activity_(ActivityCount::of(io_)), nudge_(io_) {}

  // Deadline: `deadline` (on the ProcessClock) passed; TimeLimit: the real-time limit passed.
  enum class Outcome { Message, Idle, Deadline, TimeLimit, Stopped };

  // Waits for the next message until `deadline` (none: no limit) or the real-time limit; on
  // Outcome::Message the message is moved into `message`.
  Outcome next(std::optional<Clock::time_point> deadline, Message& message);
  // A limit in real time (the --timeout of a run), which virtual time does not shorten.
  void set_time_limit(std::chrono::steady_clock::time_point limit) { time_limit_ = limit; }

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
  const ActivityCount& activity_;
  bool stop_requested_ = false;
  std::optional<std::chrono::steady_clock::time_point> time_limit_;
  // Makes the reactor look at its timers again after the clock jumped (not a Timer: its wait must not
  // count as a pending expiry).
  asio::basic_waitable_timer<ProcessClock> nudge_;

  [[nodiscard]] bool active() const;
  // Runs at most one handler, waiting until the first of `deadline`, the time limit and (virtual time)
  // the quiet window; returns how many ran.
  std::size_t run_one(std::optional<Clock::time_point> deadline);
  // Virtual time: moves the clock to the earliest pending expiry or `deadline`, if that lies ahead.
  void jump_to_next_expiry(std::optional<Clock::time_point> deadline);
};

}  // namespace luatnet::loop
