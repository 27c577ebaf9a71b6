#include "loop/message_bus.hpp"

#include <algorithm>

namespace luatnet::loop {

std::optional<Message> MessageBus::take() {
  if (queue_.empty()) {
    return std::nullopt;
  }
  Message message = std::move(queue_.front());
  queue_.pop_front();
  return message;
}

void MessageBus::discard_if(const std::function<bool(const Message&)>& matches) {
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(), matches), queue_.end());
}

}  // namespace luatnet::loop
