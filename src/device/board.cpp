#include "device/board.hpp"

#include <utility>

#include "common/logger.hpp"

namespace luatnet::device {

bool builtin_uart(int id) { return (id >= 0 && id <= 3) || id == kVirtualUart0; }

Board::Board(asio::io_context& io, const std::map<int, UartEndpoint>& uarts, std::map<int, std::int64_t> adc_values)
    : adc_values_(std::move(adc_values)), watchdog_(io), io_(io) {
  for (const auto& [id, endpoint] : uarts) uarts_.emplace(id, UartPort::create(io, id, endpoint));
}

void Board::setup_pin(int pin, PinMode mode, int level_or_pull, int edge) {
  Pin& state = pins_[pin];
  state.mode = mode;
  state.edge = edge;
  state.count = 0;
  state.settle.reset();
  // An output starts at its given level; an input rests at its pull until the outside drives it.
  state.level = mode == PinMode::Output ? (level_or_pull != 0 ? 1 : 0) : (level_or_pull == kPullUp ? 1 : 0);
}

void Board::set_pin(int pin, int level) { pins_[pin].level = level != 0 ? 1 : 0; }

int Board::pin_level(int pin) const {
  auto found = pins_.find(pin);
  return found == pins_.end() ? 0 : found->second.level;
}

bool Board::on_edge(const Pin& state, int level) {
  switch (state.edge) {
    case kEdgeRising:
    case kLevelHigh:
      return level == 1;
    case kEdgeFalling:
    case kLevelLow:
      return level == 0;
    default:
      return true;
  }
}

bool Board::drive_pin(int pin, int level) {
  Pin& state = pins_[pin];
  if (state.mode == PinMode::Output) return false;
  int next = level != 0 ? 1 : 0;
  int before = state.level;
  state.level = next;
  if (before != next && on_edge(state, next)) interrupt(pin, state);
  return true;
}

// What the firmware's interrupt handler does with an edge: count it, or report it through the debounce.
void Board::interrupt(int pin, Pin& state) {
  if (state.mode == PinMode::Counter) {
    ++state.count;
    return;
  }
  if (state.mode != PinMode::Interrupt || !pin_listener_) return;
  if (state.debounce.count() == 0) {
    pin_listener_(pin, state.level);
    return;
  }
  if (state.debounce_mode == 0) {
    auto now = loop::Timer::clock_type::now();
    if (state.last_report && now - *state.last_report < state.debounce) return;
    state.last_report = now;
    pin_listener_(pin, state.level);
    return;
  }
  // Mode 1: each edge restarts the wait; the report comes if the level held and still fits the edge.
  state.settle = std::make_unique<loop::Timer>(io_, state.debounce);
  state.settle->async_wait([this, pin, level = state.level](const std::error_code& error) {
    if (error) return;  // a later edge or set_debounce replaced the timer
    const Pin& now = pins_.at(pin);
    if (now.mode == PinMode::Interrupt && now.level == level && on_edge(now, level) && pin_listener_) {
      pin_listener_(pin, level);
    }
  });
}

void Board::set_debounce(int pin, std::chrono::milliseconds ms, int mode) {
  Pin& state = pins_[pin];
  state.debounce = ms;
  state.debounce_mode = mode;
  state.last_report.reset();
  state.settle.reset();
}

std::uint32_t Board::take_count(int pin) {
  auto found = pins_.find(pin);
  if (found == pins_.end()) return 0;
  return std::exchange(found->second.count, 0);
}

bool Board::open_adc(int channel) {
  if (!adc_exists(channel)) return false;
  adc_open_.insert(channel);
  return true;
}

std::optional<std::int64_t> Board::read_adc(int channel) const {
  if (!adc_open_.contains(channel)) return std::nullopt;
  return adc_values_.at(channel);
}

bool Board::set_adc(int channel, std::int64_t value) {
  auto found = adc_values_.find(channel);
  if (found == adc_values_.end()) return false;
  found->second = value;
  return true;
}

UartPort* Board::uart(int id) {
  auto found = uarts_.find(id);
  return found == uarts_.end() ? nullptr : found->second.get();
}

std::vector<int> Board::wired_uarts() const {
  std::vector<int> ids;
  for (const auto& [id, port] : uarts_) ids.push_back(id);
  return ids;
}

void Board::arm_watchdog(std::chrono::milliseconds timeout) {
  watchdog_timeout_ = timeout;
  restart_watchdog();
}

void Board::feed_watchdog() {
  if (watchdog_timeout_) restart_watchdog();
}

void Board::close_watchdog() {
  watchdog_timeout_.reset();
  watchdog_.cancel();
}

bool Board::start_dtimer(int id, std::chrono::milliseconds after) {
  if (id < 0 || id > kLastDtimer) return false;
  auto& dtimer = dtimers_[id];
  dtimer = std::make_unique<Dtimer>(io_, after);  // a restart replaces the running timer, which then stays quiet
  dtimer->timer.async_wait([this, id](const std::error_code& error) {
    if (error) return;
    dtimers_.erase(id);
    if (dtimer_listener_) dtimer_listener_(id);
  });
  return true;
}

std::optional<std::chrono::milliseconds> Board::dtimer_left(int id) const {
  auto found = dtimers_.find(id);
  if (found == dtimers_.end()) return std::nullopt;
  auto left = found->second->timer.expiry() - loop::Timer::clock_type::now();
  return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(left));
}

void Board::restart_watchdog() {
  watchdog_.expires_after(*watchdog_timeout_);
  watchdog_.async_wait([this, timeout = *watchdog_timeout_](const std::error_code& error) {
    if (error || !watchdog_timeout_) return;
    watchdog_timeout_.reset();
    if (watchdog_listener_) watchdog_listener_(timeout);
  });
}

}  // namespace luatnet::device
