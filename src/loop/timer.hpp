// Event loop layer: the one timer type of the process, an Asio waitable timer on the ProcessClock. Unlike
// a plain Asio timer, a wait that was cancelled, re-armed or destroyed never reports success, even when it
// had already expired and its handler was queued (Asio would report success then): the handler runs once
// with operation_aborted. So an owner that cancels its timers in its destructor may let their handlers
// capture `this` (docs/architecture.md, "Lifetimes"). Under virtual time each pending wait's expiry is
// also recorded, so that the loop knows where to move the clock when the process falls quiet.
#pragma once

#include <asio/basic_waitable_timer.hpp>
#include <asio/error.hpp>
#include <asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
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
  ~Timer() { ++arming_->count; }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  std::size_t expires_after(duration after) {
    ++arming_->count;
    return timer_.expires_after(after);
  }
  std::size_t expires_at(time_point at) {
    ++arming_->count;
    return timer_.expires_at(at);
  }
  [[nodiscard]] time_point expiry() const { return timer_.expiry(); }
  std::size_t cancel() {
    ++arming_->count;
    return timer_.cancel();
  }

  template <typename Handler>
  void async_wait(Handler&& handler) {
    RecordedExpiry recorded(ProcessClock::is_virtual() ? std::optional(timer_.expiry()) : std::nullopt);
    timer_.async_wait([arming = ArmingHold(arming_.get()), armed = arming_->count, recorded = std::move(recorded),
                       handler = std::forward<Handler>(handler)](std::error_code error) mutable {
      recorded.release();
      if (!error && arming->count != armed) error = asio::error::operation_aborted;
      handler(error);
    });
  }

 private:
  // A pending wait's entry in pending_expiries, removed when the wait ends: when its handler runs, or
  // when the handler is destroyed unrun (its io_context went first), so no stale expiry holds the clock.
  class RecordedExpiry {
   public:
    explicit RecordedExpiry(std::optional<time_point> expiry) : expiry_(expiry) {
      if (expiry_) pending_expiries::add(*expiry_);
    }
    RecordedExpiry(RecordedExpiry&& other) noexcept : expiry_(std::exchange(other.expiry_, std::nullopt)) {}
    RecordedExpiry(const RecordedExpiry&) = delete;
    RecordedExpiry& operator=(const RecordedExpiry&) = delete;
    RecordedExpiry& operator=(RecordedExpiry&&) = delete;
    ~RecordedExpiry() { release(); }
    void release() {
      if (expiry_) pending_expiries::remove(*std::exchange(expiry_, std::nullopt));
    }

   private:
    std::optional<time_point> expiry_;
  };

  // Counts every cancel, re-arm and the timer's end. The timer and each pending wait hold it, so a wait
  // that finds the count changed knows it was stopped, even when the timer is gone. Only the loop's
  // thread touches it: plain counts, no atomics (a wait costs a few instructions more, not a lock).
  struct Arming {
    std::uint64_t count = 0;
    std::size_t holders = 0;
  };
  // One holder of an Arming, which it deletes as its last holder; move-only, as Asio's handlers may be.
  class ArmingHold {
   public:
    explicit ArmingHold(Arming* arming) : arming_(arming) { ++arming_->holders; }
    ArmingHold(ArmingHold&& other) noexcept : arming_(std::exchange(other.arming_, nullptr)) {}
    ArmingHold(const ArmingHold&) = delete;
    ArmingHold& operator=(const ArmingHold&) = delete;
    ArmingHold& operator=(ArmingHold&&) = delete;
    ~ArmingHold() {
      if (arming_ != nullptr && --arming_->holders == 0) delete arming_;
    }
    Arming* operator->() const { return arming_; }
    [[nodiscard]] Arming* get() const { return arming_; }

   private:
    Arming* arming_;
  };

  asio::basic_waitable_timer<ProcessClock> timer_;
  ArmingHold arming_{new Arming};
};

}  // namespace luatnet::loop
