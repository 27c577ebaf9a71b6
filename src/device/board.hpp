// Device layer: the module's board peripherals a script drives besides its radios (no Lua here): GPIO pins
// (levels a test can drive from outside, firing interrupt pins on the configured edge), ADC channels
// (values from the profile, changeable while the script runs), the UARTs wired to host endpoints, and the
// hardware watchdog (a missed feed is reported to a listener the bindings set).
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "device/uart_port.hpp"
#include "loop/activity.hpp"
#include "loop/timer.hpp"

namespace luatnet::device {

// The firmware's interrupt edges (luat_gpio_legacy.h).
inline constexpr int kEdgeRising = 0;
inline constexpr int kEdgeFalling = 1;
inline constexpr int kEdgeBoth = 2;
inline constexpr int kLevelHigh = 3;  // HIGH_IRQ and LOW_IRQ: level interrupts, reported on reaching the level
inline constexpr int kLevelLow = 4;
inline constexpr int kPullUp = 1;

// The firmware's special ADC channel ids (luat_adc.h).
inline constexpr int kAdcCpu = -1;
inline constexpr int kAdcVbat = -2;

// UART ids every module has (the USB virtual UART included), wired or not.
inline constexpr int kVirtualUart0 = 0x20;
bool builtin_uart(int id);

class Board {
 public:
  using PinListener = std::function<void(int pin, int level)>;
  using WatchdogListener = std::function<void(std::chrono::milliseconds timeout)>;

  Board(asio::io_context& io, const std::map<int, UartEndpoint>& uarts, std::map<int, std::int64_t> adc_values);

  // gpio ----------------------------------------------------------------------------------------------------
  enum class PinMode { Output, Input, Interrupt, Counter };
  void setup_pin(int pin, PinMode mode, int level_or_pull, int edge = kEdgeBoth);
  // What the script drives on an output; an input's level is the outside world's (drive_pin).
  void set_pin(int pin, int level);
  [[nodiscard]] int pin_level(int pin) const;
  void close_pin(int pin) { pins_.erase(pin); }
  // The outside drives an input or interrupt pin (netsim.gpio): false for an output (the module drives it).
  // A change on an interrupt pin on its configured edge goes to the pin listener.
  bool drive_pin(int pin, int level);
  void set_pin_listener(PinListener listener) { pin_listener_ = std::move(listener); }
  // gpio.debounce: mode 0 reports an interrupt at once and ignores the pin's next ones for `ms`; mode 1
  // reports once the pin has kept its level for `ms` after the last change. 0 ms turns it off.
  void set_debounce(int pin, std::chrono::milliseconds ms, int mode);
  // Interrupts a Counter pin (gpio.setup(pin, gpio.count)) saw since the last call.
  std::uint32_t take_count(int pin);

  // adc -----------------------------------------------------------------------------------------------------
  [[nodiscard]] bool adc_exists(int channel) const { return adc_values_.contains(channel); }
  bool open_adc(int channel);
  void close_adc(int channel) { adc_open_.erase(channel); }
  // The value of an open channel (mV, or 0.001 degC for kAdcCpu).
  [[nodiscard]] std::optional<std::int64_t> read_adc(int channel) const;
  // netsim.adc: false for a channel the module lacks.
  bool set_adc(int channel, std::int64_t value);

  // uart ----------------------------------------------------------------------------------------------------
  [[nodiscard]] bool uart_exists(int id) const { return builtin_uart(id) || uarts_.contains(id); }
  // The port wired to `id`, nullptr when the id has no endpoint.
  UartPort* uart(int id);
  [[nodiscard]] std::vector<int> wired_uarts() const;

  // wdt -----------------------------------------------------------------------------------------------------
  void set_watchdog_listener(WatchdogListener listener) { watchdog_listener_ = std::move(listener); }
  // init and setTimeout arm the watchdog for `timeout`; feed re-arms it; close stops it.
  void arm_watchdog(std::chrono::milliseconds timeout);
  void feed_watchdog();
  void close_watchdog();

  // pm's deep sleep timers --------------------------------------------------------------------------------
  using DtimerListener = std::function<void(int id)>;
  void set_dtimer_listener(DtimerListener listener) { dtimer_listener_ = std::move(listener); }
  // Starts (or restarts) timer `id` (0..kLastDtimer); false for another id.
  bool start_dtimer(int id, std::chrono::milliseconds after);
  void stop_dtimer(int id) { dtimers_.erase(id); }
  // The time left on a running timer.
  [[nodiscard]] std::optional<std::chrono::milliseconds> dtimer_left(int id) const;
  static constexpr int kLastDtimer = 6;

 private:
  struct Pin {
    PinMode mode = PinMode::Input;
    int level = 0;
    int edge = kEdgeBoth;
    std::uint32_t count = 0;
    std::chrono::milliseconds debounce{0};
    int debounce_mode = 0;
    std::optional<loop::Timer::time_point> last_report;  // debounce mode 0
    std::unique_ptr<loop::Timer> settle;                 // debounce mode 1
  };
  [[nodiscard]] static bool on_edge(const Pin& state, int level);
  void interrupt(int pin, Pin& state);
  void restart_watchdog();

  std::map<int, Pin> pins_;
  PinListener pin_listener_;
  std::map<int, std::int64_t> adc_values_;
  std::set<int> adc_open_;
  std::map<int, std::shared_ptr<UartPort>> uarts_;
  loop::Timer watchdog_;
  std::optional<std::chrono::milliseconds> watchdog_timeout_;
  WatchdogListener watchdog_listener_;
  asio::io_context& io_;
  // A running deep sleep timer keeps the run going, as the device sleeps until it fires.
  struct Dtimer {
    Dtimer(asio::io_context& io, std::chrono::milliseconds after) : timer(io, after), running(io) { running.hold(); }
    loop::Timer timer;
    loop::ActiveHandle running;
  };
  std::map<int, std::unique_ptr<Dtimer>> dtimers_;
  DtimerListener dtimer_listener_;
};

}  // namespace luatnet::device
