#include "loop/event_loop.hpp"

#include <algorithm>

namespace luatnet::loop {

bool EventLoop::active() const {
  return timers_.count() > 0 || std::any_of(probes_.begin(), probes_.end(), [](const auto& probe) { return probe(); });
}

EventLoop::Next EventLoop::next(std::optional<Clock::time_point> deadline) {
  while (true) {
    if (stop_requested_) {
      return {Outcome::Stopped, std::nullopt};
    }
    if (auto message = bus_.take()) {
      return {Outcome::Message, std::move(message)};
    }
    if (io_.stopped()) {
      io_.restart();
    }
    // Handlers that are already due may post messages or end the last activity.
    io_.poll();
    if (!bus_.empty()) continue;
    if (!active()) {
      return {Outcome::Idle, std::nullopt};
    }
    if (io_.stopped()) {
      io_.restart();
    }
    std::size_t handled = 0;
    if (deadline) {
      if (Clock::now() >= *deadline) {
        return {Outcome::Deadline, std::nullopt};
      }
      handled = io_.run_one_until(*deadline);
    } else {
      handled = io_.run_one();
    }
    if (handled == 0 && bus_.empty() && io_.stopped()) {
      // Activity is claimed but no I/O is pending at all: nothing can ever complete it.
      return {Outcome::Idle, std::nullopt};
    }
  }
}

}  // namespace luatnet::loop
