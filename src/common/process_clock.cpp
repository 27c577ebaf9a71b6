#include "common/process_clock.hpp"

#include <atomic>

namespace luatnet {
namespace {

// The loop thread changes these; other threads (the logger) only read them.
std::atomic<ProcessClock::rep> skew_ticks{0};
std::atomic<bool> virtual_time{false};

}  // namespace

ProcessClock::time_point ProcessClock::now() noexcept {
  return time_point(std::chrono::steady_clock::now().time_since_epoch() +
                    duration(skew_ticks.load(std::memory_order_relaxed)));
}

void ProcessClock::use_virtual_time(bool on) noexcept { virtual_time.store(on, std::memory_order_relaxed); }

bool ProcessClock::is_virtual() noexcept { return virtual_time.load(std::memory_order_relaxed); }

void ProcessClock::advance(duration by) noexcept {
  if (!is_virtual() || by <= duration::zero()) return;
  skew_ticks.fetch_add(by.count(), std::memory_order_relaxed);
}

ProcessClock::duration ProcessClock::skew() noexcept { return duration(skew_ticks.load(std::memory_order_relaxed)); }

}  // namespace luatnet
