#include "common/device_clock.hpp"

#include <atomic>
#include <chrono>

#include "common/process_clock.hpp"

namespace luatnet::device_clock {
namespace {

const auto kStart = ProcessClock::now();
std::atomic<std::int64_t> wall_offset_ms{0};

// The host's wall clock, carried along when virtual time jumps ahead.
std::int64_t host_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch() +
                                                               ProcessClock::skew())
      .count();
}

}  // namespace

std::int64_t uptime_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(ProcessClock::now() - kStart).count();
}

std::int64_t uptime_ms() { return uptime_us() / 1000; }

std::int64_t now_ms() { return host_now_ms() + wall_offset_ms.load(); }

void set_now_ms(std::int64_t unix_ms) { wall_offset_ms.store(unix_ms - host_now_ms()); }

std::int64_t offset_ms() { return wall_offset_ms.load(); }

}  // namespace luatnet::device_clock
