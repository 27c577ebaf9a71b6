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
    bool limit_passed = time_limit_ && std::chrono::steady_clock::now() >= *time_limit_;
    bool deadline_passed = deadline && Clock::now() >= *deadline;
    if (limit_passed || deadline_passed || !active()) {
      // Before any of these is the answer, handlers that are already due run: they may post messages or
      // end the last activity. Otherwise run_one below runs them (a poll first would cost an epoll_wait
      // per turn that the blocking wait then repeats).
      io_.poll();
      if (!bus_.empty()) continue;
      if (!active()) {
        return Outcome::Idle;
      }
      if (limit_passed) {
        return Outcome::TimeLimit;
      }
      if (deadline_passed) {
        return Outcome::Deadline;
      }
      if (io_.stopped()) {
        io_.restart();
      }
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
