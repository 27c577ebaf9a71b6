#include "loop/timer_service.hpp"

#include <algorithm>

namespace luatnet::loop {

std::chrono::milliseconds TimerService::capped(std::int64_t ms) {
  return std::chrono::milliseconds(std::clamp<std::int64_t>(ms, 0, kMaxDelay.count()));
}

void TimerService::start(std::int64_t id, std::int64_t ms, bool repeat) {
  stop(id);
  auto entry = std::make_shared<Entry>(io_);
  entry->period = capped(ms);
  entry->repeat = repeat;
  entry->timer.expires_after(entry->period);
  timers_[id] = entry;
  arm(id, entry);
}

void TimerService::arm(std::int64_t id, const std::shared_ptr<Entry>& entry) {
  entry->timer.async_wait([this, id, weak = std::weak_ptr<Entry>(entry)](const std::error_code& error) {
    auto live = weak.lock();
    if (error || !live) {
      return;
    }
    bus_.post(Message{.kind = MessageKind::Timer, .a = id, .b = live->repeat ? 1 : 0});
    ++queued_[id];
    if (live->repeat) {
      // Next deadline from the previous one, so a repeating timer does not drift.
      live->timer.expires_at(live->timer.expiry() + std::max(live->period, std::chrono::milliseconds(1)));
      arm(id, live);
    } else {
      timers_.erase(id);
    }
  });
}

void TimerService::stop(std::int64_t id) {
  // A one-shot timer that already fired is gone from timers_ but its message may still be queued.
  if (auto queued = queued_.find(id); queued != queued_.end()) {
    bus_.discard_if([id](const Message& m) { return m.kind == MessageKind::Timer && m.a == id; });
    queued_.erase(queued);
  }
  auto found = timers_.find(id);
  if (found != timers_.end()) {
    found->second->timer.cancel();
    timers_.erase(found);
  }
}

void TimerService::delivered(std::int64_t id) {
  auto queued = queued_.find(id);
  if (queued != queued_.end() && --queued->second == 0) queued_.erase(queued);
}

}  // namespace luatnet::loop
