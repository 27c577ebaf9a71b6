// Common: the clock every timer, timeout and uptime of the process runs on. It is the host's steady clock
// plus a skew that only grows. Normally the skew stays 0. With virtual time (--virtual-time) the event
// loop moves the skew ahead to the next due timer whenever the process has nothing else to do, so waits of
// hours take no real time while the order of everything that happens stays the same. No Lua here.
#pragma once

#include <chrono>

namespace luatnet {

struct ProcessClock {
  using duration = std::chrono::steady_clock::duration;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<ProcessClock, duration>;
  static constexpr bool is_steady = true;

  static time_point now() noexcept;

  // Turns virtual time on or off for the rest of the process (tests turn it off again).
  static void use_virtual_time(bool on) noexcept;
  [[nodiscard]] static bool is_virtual() noexcept;
  // Moves the clock ahead by `by` (ignored when not positive or when time is not virtual).
  static void advance(duration by) noexcept;
  // How far the clock runs ahead of the host's steady clock.
  [[nodiscard]] static duration skew() noexcept;
};

}  // namespace luatnet
