// Event loop layer: the message bus. C++ producers (timers, sockets, adapters, protocol modules) post
// messages here; the Lua thread takes them one at a time, in posting order, as the firmware's rtos.receive
// does. Apart from its own timers the loop names no event: every other message carries the handler that
// turns it into Lua calls, chosen by the layer above the producer (the producer only stores it).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

struct lua_State;

namespace luatnet::loop {

enum class MessageKind : std::uint8_t {
  Timer,    // a = timer id, b = 1 when the timer repeats (rtos.receive hands it to sys.lua)
  Handled,  // `handler` runs on the receiving Lua thread with the message's fields
};

struct Message;
// What a message means to Lua. A handler that captures no more than a pointer is stored without an
// allocation, so a hot producer (socket events) pays none per message.
using MessageHandler = std::function<void(lua_State*, const Message&)>;

struct Message {
  MessageKind kind = MessageKind::Handled;
  std::int64_t a = 0;
  std::int64_t b = 0;
  std::int64_t c = 0;
  std::string text;
  MessageHandler handler;
};

// A ring of message slots that grows by doubling and never shrinks: a server posts and takes a message or
// two per request, which a std::deque paid for with a block allocation every few messages.
class MessageBus {
 public:
  void post(Message message);
  // Moves the oldest message into `into`; false when none is queued.
  bool take(Message& into);
  [[nodiscard]] bool empty() const { return count_ == 0; }
  [[nodiscard]] std::size_t size() const { return count_; }
  // Drops queued messages that `matches` selects (a stopped timer must not fire afterwards).
  void discard_if(const std::function<bool(const Message&)>& matches);

 private:
  std::vector<Message> slots_;  // size is a power of two (or 0)
  std::size_t head_ = 0;        // the oldest message's slot
  std::size_t count_ = 0;

  [[nodiscard]] std::size_t slot(std::size_t position) const { return (head_ + position) & (slots_.size() - 1); }
};

}  // namespace luatnet::loop
