#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/posix/stream_descriptor.hpp>
#include <cstdint>

#include "common/device_clock.hpp"
#include "loop/event_loop.hpp"
#include "loop/timer.hpp"
#include "loop_next.hpp"

namespace luatnet::loop {
namespace {

using namespace std::chrono_literals;
using Real = std::chrono::steady_clock;

// Virtual time is process-wide: each test turns it on for its own duration only.
class VirtualTime : public ::testing::Test {
 protected:
  void SetUp() override { ProcessClock::use_virtual_time(true); }
  void TearDown() override { ProcessClock::use_virtual_time(false); }
};

TEST_F(VirtualTime, LongTimersFireInOrderWithoutWaitingThemOut) {
  EventLoop loop;
  auto real_start = Real::now();
  auto virtual_start = ProcessClock::now();
  auto uptime_start = device_clock::uptime_ms();
  loop.timers().start(1, 3'600'000, false);  // an hour
  loop.timers().start(2, 600'000, false);    // ten minutes
  auto first = next_of(loop, std::nullopt);
  ASSERT_EQ(first.outcome, EventLoop::Outcome::Message);
  EXPECT_EQ(first.message->a, 2);
  EXPECT_GE(ProcessClock::now() - virtual_start, 10min);
  EXPECT_LT(ProcessClock::now() - virtual_start, 11min);
  auto second = next_of(loop, std::nullopt);
  ASSERT_EQ(second.outcome, EventLoop::Outcome::Message);
  EXPECT_EQ(second.message->a, 1);
  EXPECT_GE(ProcessClock::now() - virtual_start, 1h);
  EXPECT_GE(device_clock::uptime_ms() - uptime_start, 3'600'000);
  EXPECT_LT(Real::now() - real_start, 5s);
}

TEST_F(VirtualTime, RepeatingTimerKeepsItsPeriodOnTheVirtualClock) {
  EventLoop loop;
  auto real_start = Real::now();
  loop.timers().start(7, 1'000, true);
  auto previous = ProcessClock::now();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(next_of(loop, std::nullopt).outcome, EventLoop::Outcome::Message);
    auto now = ProcessClock::now();
    EXPECT_GE(now - previous, 900ms);
    EXPECT_LT(now - previous, 1'100ms);
    previous = now;
  }
  loop.timers().stop(7);
  EXPECT_LT(Real::now() - real_start, 2s);
}

TEST_F(VirtualTime, OwnDeadlineIsReachedByJumping) {
  EventLoop loop;
  loop.timers().start(3, std::int64_t{48} * 3'600'000, false);
  auto real_start = Real::now();
  auto deadline = ProcessClock::now() + 24h;
  auto next = next_of(loop, deadline);
  EXPECT_EQ(next.outcome, EventLoop::Outcome::Deadline);
  EXPECT_GE(ProcessClock::now(), deadline);
  EXPECT_LT(Real::now() - real_start, 2s);
}

// A loop destroyed while a wait was pending never runs its handler; the wait's expiry must not stay
// recorded, or the next loop would keep moving the clock to that past point instead of ahead.
TEST_F(VirtualTime, AWaitLeftByADestroyedLoopDoesNotHoldTheClock) {
  {
    EventLoop gone;
    Timer timer(gone.io(), 1s);
    timer.async_wait([](const std::error_code&) {});
  }
  EventLoop loop;
  loop.timers().start(3, std::int64_t{48} * 3'600'000, false);
  auto real_start = Real::now();
  auto deadline = ProcessClock::now() + 1h;
  EXPECT_EQ(next_of(loop, deadline).outcome, EventLoop::Outcome::Deadline);
  EXPECT_LT(Real::now() - real_start, 2s);
}

TEST_F(VirtualTime, ATimeLimitStaysInRealTime) {
  EventLoop loop;
  // A read that never completes keeps the loop active without any timer to jump to.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  asio::posix::stream_descriptor reader(loop.io(), fds[0]);
  reader.async_wait(asio::posix::stream_descriptor::wait_read, [](const std::error_code&) {});
  ActiveHandle reading(loop.io());
  reading.hold();
  auto real_start = Real::now();
  auto virtual_start = ProcessClock::now();
  loop.set_time_limit(Real::now() + 150ms);
  EXPECT_EQ(next_of(loop, std::nullopt).outcome, EventLoop::Outcome::TimeLimit);
  EXPECT_GE(Real::now() - real_start, 150ms);
  EXPECT_LT(ProcessClock::now() - virtual_start, 1s);  // nothing to jump to: the clock only ran
  reader.close();
  ::close(fds[1]);
}

TEST(ProcessClock, DoesNotJumpWithoutVirtualTime) {
  auto skew = ProcessClock::skew();
  ProcessClock::advance(1h);
  EXPECT_EQ(ProcessClock::skew(), skew);
}

}  // namespace
}  // namespace luatnet::loop
