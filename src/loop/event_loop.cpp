#include "loop/event_loop.hpp"

namespace luatnet::loop {

bool EventLoop::active() const { return timers_.count() > 0 || activity_.held() > 0; }

EventLoop::Outcome EventLoop::next(std::optional<Clock::time_point> deadline, Message& message) {
  while (true) {
    if (stop_requested_) {
      return Outcome::Stopped;
    }
    if (bus_.take(message)) {
      return Outcome::Message;
    }
    if (io_.stopped()) {
      io_.restart();
    }
    // Handlers that are already due may post messages or end the last activity. All of them run, with a
    // look at the reactor, before the next message is taken: run_one alone instead (tried) saves an
    // epoll_wait per turn at one connection, but changes the order of events under load (a task waiting
    // for TX_OK then heard it before its socket knew of the reply in 12% of requests, and waited again).
    io_.poll();
    if (!bus_.empty()) continue;
    if (!active()) {
      return Outcome::Idle;
    }
    if (time_limit_ && std::chrono::steady_clock::now() >= *time_limit_) {
      return Outcome::TimeLimit;
    }
    if (deadline && Clock::now() >= *deadline) {
      return Outcome::Deadline;
    }
    if (io_.stopped()) {
      io_.restart();
    }
    std::size_t handled = run_one(deadline);
    if (handled == 0 && bus_.empty() && io_.stopped()) {
      // Activity is claimed but no I/O is pending at all: nothing can ever complete it.
      return Outcome::Idle;
    }
    if (handled == 0 && bus_.empty() && Clock::is_virtual()) {
      jump_to_next_expiry(deadline);
    }
  }
}

std::size_t EventLoop::run_one(std::optional<Clock::time_point> deadline) {
  using Real = std::chrono::steady_clock;
  std::optional<Real::time_point> until = time_limit_;
  auto sooner = [&until](Real::time_point candidate) {
    if (!until || candidate < *until) until = candidate;
  };
  if (deadline) sooner(Real::now() + (*deadline - Clock::now()));
  if (Clock::is_virtual()) sooner(Real::now() + kQuietWindow);
  return until ? io_.run_one_until(*until) : io_.run_one();
}

void EventLoop::jump_to_next_expiry(std::optional<Clock::time_point> deadline) {
  auto target = pending_expiries::earliest();
  if (deadline && (!target || *deadline < *target)) target = deadline;
  if (!target) return;
  Clock::advance(*target - Clock::now());
  // The reactor sleeps on a kernel timer armed in real time; a wait that expires first re-arms it.
  nudge_.expires_at(Clock::time_point{});
  nudge_.async_wait([](const std::error_code&) {});
}

}  // namespace luatnet::loop
