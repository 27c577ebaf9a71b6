// Event loop layer: millisecond timers on the monotonic clock. A firing timer becomes a Timer message on
// the bus; ids are chosen by the caller (sys.lua picks them, as on the firmware).
#pragma once

#include <asio/io_context.hpp>
#include "loop/timer.hpp"
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "loop/message_bus.hpp"

namespace luatnet::loop {

class TimerService {
 public:
  // The longest delay a timer takes (about 31 years, beyond any run): longer ones are capped to it, so
  // that a huge delay never fires early through an overflow of the clock's arithmetic.
  static constexpr std::chrono::milliseconds kMaxDelay{1'000'000'000'000};
  // `ms` capped to [0, kMaxDelay].
  static std::chrono::milliseconds capped(std::int64_t ms);

  TimerService(asio::io_context& io, MessageBus& bus) : io_(io), bus_(bus) {}

  // Starts (or restarts) timer `id`; a repeating timer fires every `ms` (capped) until stopped.
  void start(std::int64_t id, std::int64_t ms, bool repeat);
  // Stops timer `id` and drops a firing of it that is still queued. Unknown ids are ignored.
  void stop(std::int64_t id);
  // The receiver took a firing of `id` off the bus.
  void delivered(std::int64_t id);
  [[nodiscard]] bool active(std::int64_t id) const { return timers_.contains(id); }
  [[nodiscard]] std::size_t count() const { return timers_.size(); }

 private:
  struct Entry {
    explicit Entry(asio::io_context& io) : timer(io) {}
    Timer timer;
    std::chrono::milliseconds period{0};
    bool repeat = false;
  };
  void arm(std::int64_t id, const std::shared_ptr<Entry>& entry);

  asio::io_context& io_;
  MessageBus& bus_;
  std::unordered_map<std::int64_t, std::shared_ptr<Entry>> timers_;
  // Firings on the bus, by timer id: only a timer with one there needs the bus searched when it stops
  // (the search is as long as the queue, which a busy server keeps long).
  std::unordered_map<std::int64_t, int> queued_;
};

}  // namespace luatnet::loop
