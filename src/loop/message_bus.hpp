// Event loop layer: the message bus. C++ producers (timers, sockets, adapters) post plain-data messages here;
// the Lua thread takes them one at a time, in posting order, as the firmware's rtos.receive does.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

struct lua_State;

namespace luatnet::loop {

enum class MessageKind : std::uint8_t {
  Timer,         // a = timer id, b = 1 when the timer repeats
  SocketEvent,   // a = ctrl id, b = event id, c = param
  AdapterReady,  // a = adapter index, text = IP address
  AdapterLost,   // a = adapter index
  Deliver,       // `deliver` runs on the receiving Lua thread (protocol modules' events)
};

struct Message {
  MessageKind kind = MessageKind::Timer;
  std::int64_t a = 0;
  std::int64_t b = 0;
  std::int64_t c = 0;
  std::string text;
  // A message that carries its own handler, so that modules above the socket core (http, mqtt, ...) need
  // no kind of their own here. The loop only carries it; the Lua host calls it.
  std::function<void(lua_State*)> deliver;
};

class MessageBus {
 public:
  void post(Message message) { queue_.push_back(std::move(message)); }
  std::optional<Message> take();
  [[nodiscard]] bool empty() const { return queue_.empty(); }
  [[nodiscard]] std::size_t size() const { return queue_.size(); }
  // Drops queued messages that `matches` selects (a stopped timer must not fire afterwards).
  void discard_if(const std::function<bool(const Message&)>& matches);

 private:
  std::deque<Message> queue_;
};

}  // namespace luatnet::loop
