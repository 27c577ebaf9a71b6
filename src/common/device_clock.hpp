// Common: the device's clocks, one per process. Uptime is a steady count from the start of the process
// on the ProcessClock (what mcu.ticks and the SNTP bookkeeping read; virtual time moves it). The wall
// clock is the host's clock plus the ProcessClock's skew plus an offset: time
// sync on the device sets its RTC, and here it sets only this offset, so os.time and os.date follow the
// server while the host's own clock is never touched. No Lua here.
#pragma once

#include <cstdint>

namespace luatnet::device_clock {

// Microseconds and milliseconds since the process started; never go back.
std::int64_t uptime_us();
std::int64_t uptime_ms();
// The device's wall clock in milliseconds since the Unix epoch (UTC).
std::int64_t now_ms();
// Sets the device's wall clock so that it reads `unix_ms` now.
void set_now_ms(std::int64_t unix_ms);
// How far the device's wall clock is ahead of the host's (negative: behind).
std::int64_t offset_ms();

}  // namespace luatnet::device_clock
