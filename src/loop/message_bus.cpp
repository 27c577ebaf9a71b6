#include "loop/message_bus.hpp"

#include <utility>

namespace luatnet::loop {

void MessageBus::post(Message message) {
  if (count_ == slots_.size()) {
    std::vector<Message> larger(slots_.empty() ? 64 : slots_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i) larger[i] = std::move(slots_[slot(i)]);
    slots_.swap(larger);
    head_ = 0;
  }
  slots_[slot(count_)] = std::move(message);
  ++count_;
}

bool MessageBus::take(Message& into) {
  if (count_ == 0) return false;
  Message& oldest = slots_[head_];
  // Whole, so that no field is left behind; what `into` held before is released now. The slot keeps
  // nothing the message referred to (its handler's captures go with the message).
  into = std::move(oldest);
  oldest.text.clear();
  oldest.handler = nullptr;
  head_ = (head_ + 1) & (slots_.size() - 1);
  --count_;
  return true;
}

void MessageBus::discard_if(const std::function<bool(const Message&)>& matches) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < count_; ++i) {
    Message& candidate = slots_[slot(i)];
    if (matches(candidate)) continue;
    if (kept != i) slots_[slot(kept)] = std::move(candidate);
    ++kept;
  }
  for (std::size_t i = kept; i < count_; ++i) slots_[slot(i)] = Message{};
  count_ = kept;
}

}  // namespace luatnet::loop
