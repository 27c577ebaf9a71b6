// Test helper: EventLoop::next as one value (the outcome, and the message when there is one).
#pragma once

#include <optional>

#include "loop/event_loop.hpp"

namespace luatnet::loop {

struct NextResult {
  EventLoop::Outcome outcome;
  std::optional<Message> message;
};

inline NextResult next_of(EventLoop& loop, std::optional<EventLoop::Clock::time_point> deadline) {
  Message message;
  auto outcome = loop.next(deadline, message);
  if (outcome != EventLoop::Outcome::Message) return {outcome, std::nullopt};
  return {outcome, std::move(message)};
}

}  // namespace luatnet::loop
