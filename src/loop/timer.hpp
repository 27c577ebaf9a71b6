// Event loop layer: the one timer type of the process, an Asio waitable timer on the ProcessClock. Under
// virtual time each pending wait's expiry is also recorded, so that the loop knows where to move the
// clock when the process falls quiet; without virtual time it is the plain Asio timer and costs nothing.
#pragma once

#include <asio/basic_waitable_timer.hpp>
#include <asio/io_context.hpp>
#include <cstddef>
#include <optional>
#include <system_error>
#include <utility>

#include "common/process_clock.hpp"

namespace luatnet::loop {

// The expiries of the waits now pending on any Timer (recorded only under virtual time).
namespace pending_expiries {
void add(ProcessClock::time_point expiry);
void remove(ProcessClock::time_point expiry);
[[nodiscard]] std::optional<ProcessClock::time_point> earliest();
}  // namespace pending_expiries

class Timer {
 public:
  using clock_type = ProcessClock;
  using duration = ProcessClock::duration;
  using time_point = ProcessClock::time_point;

  explicit Timer(asio::io_context& io) : timer_(io) {}
  Timer(asio::io_context& io, duration after) : timer_(io, after) {}

  std::size_t expires_after(duration after) { return timer_.expires_after(after); }
  std::size_t expires_at(time_point at) { return timer_.expires_at(at); }
  [[nodiscard]] time_point expiry() const { return timer_.expiry(); }
  std::size_t cancel() { return timer_.cancel(); }

  template <typename Handler>
  void async_wait(Handler&& handler) {
    if (!ProcessClock::is_virtual()) {
      timer_.async_wait(std::forward<Handler>(handler));
      return;
    }
    auto expiry = timer_.expiry();
    pending_expiries::add(expiry);
    timer_.async_wait([expiry, handler = std::forward<Handler>(handler)](const std::error_code& error) mutable {
      pending_expiries::remove(expiry);
      handler(error);
    });
  }

 private:
  asio::basic_waitable_timer<ProcessClock> timer_;
};

}  // namespace luatnet::loop
