// loop::Timer's guarantee, which the "Lifetimes" rule of docs/architecture.md rests on: a wait that was
// cancelled, re-armed or destroyed never reports success, even when it had already been queued.
#include "loop/timer.hpp"

#include <gtest/gtest.h>

#include <asio/basic_waitable_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace luatnet::loop {
namespace {

// Two waits that expire in the same pass of the reactor are queued together; the first handler stops the
// other timer. `stop` is what the first handler does to the other one.
template <typename TimerType, typename Stop>
std::optional<std::error_code> other_outcome(Stop stop) {
  asio::io_context io;
  auto past = ProcessClock::now() - std::chrono::milliseconds(1);
  std::unique_ptr<TimerType> timers[2] = {std::make_unique<TimerType>(io), std::make_unique<TimerType>(io)};
  std::optional<std::error_code> outcomes[2];
  int first = -1;
  for (int index = 0; index < 2; ++index) {
    timers[index]->expires_at(past);
    timers[index]->async_wait([&, index](const std::error_code& error) {
      outcomes[index] = error;
      if (first >= 0) return;
      first = index;
      stop(timers[1 - index]);
    });
  }
  io.run();
  if (first < 0) {
    ADD_FAILURE() << "no wait completed";
    return std::nullopt;
  }
  EXPECT_EQ(outcomes[first], std::error_code());
  return outcomes[1 - first];
}

template <typename TimerType>
void cancel(std::unique_ptr<TimerType>& timer) {
  timer->cancel();
}
template <typename TimerType>
void destroy(std::unique_ptr<TimerType>& timer) {
  timer.reset();
}
template <typename TimerType>
void rearm(std::unique_ptr<TimerType>& timer) {
  timer->expires_after(std::chrono::milliseconds(0));
}

using AsioTimer = asio::basic_waitable_timer<ProcessClock>;

// The hazard loop::Timer removes: plain Asio reports success for a wait stopped after it was queued.
TEST(TimerLifetime, PlainAsioStillReportsSuccessForAQueuedWait) {
  EXPECT_EQ(other_outcome<AsioTimer>(cancel<AsioTimer>), std::error_code());
  EXPECT_EQ(other_outcome<AsioTimer>(destroy<AsioTimer>), std::error_code());
}

TEST(TimerLifetime, ACancelledWaitNeverReportsSuccess) {
  EXPECT_EQ(other_outcome<Timer>(cancel<Timer>), asio::error::operation_aborted);
}

TEST(TimerLifetime, ADestroyedTimersWaitNeverReportsSuccess) {
  EXPECT_EQ(other_outcome<Timer>(destroy<Timer>), asio::error::operation_aborted);
}

TEST(TimerLifetime, ARearmedTimersOldWaitNeverReportsSuccess) {
  EXPECT_EQ(other_outcome<Timer>(rearm<Timer>), asio::error::operation_aborted);
}

TEST(TimerLifetime, AHandlerMayRearmItsOwnTimer) {
  asio::io_context io;
  Timer timer(io, std::chrono::milliseconds(0));
  int fired = 0;
  std::function<void(const std::error_code&)> again = [&](const std::error_code& error) {
    if (error) return;
    if (++fired < 3) {
      timer.expires_after(std::chrono::milliseconds(0));
      timer.async_wait(again);
    }
  };
  timer.async_wait(again);
  io.run();
  EXPECT_EQ(fired, 3);
}

}  // namespace
}  // namespace luatnet::loop
