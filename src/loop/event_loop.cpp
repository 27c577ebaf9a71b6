#include "loop/event_loop.hpp"

namespace luatnet::loop {

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
    std::size_t handled = 0;
    if (deadline) {
      if (Clock::now() >= *deadline) {
        return {Outcome::Deadline, std::nullopt};
      }
      handled = io_.run_one_until(*deadline);
      if (handled == 0 && bus_.empty() && Clock::now() < *deadline) {
        return {Outcome::Idle, std::nullopt};
      }
    } else {
      handled = io_.run_one();
      if (handled == 0 && bus_.empty()) {
        return {Outcome::Idle, std::nullopt};
      }
    }
  }
}

}  // namespace luatnet::loop
