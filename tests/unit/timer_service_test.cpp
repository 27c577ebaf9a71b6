#include "loop/timer_service.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "loop/event_loop.hpp"
#include "loop_next.hpp"

namespace luatnet::loop {
namespace {

using Clock = EventLoop::Clock;

TEST(TimerService, OneShotFiresOnceAfterItsDelay) {
  EventLoop loop;
  auto started = Clock::now();
  loop.timers().start(42, 30, false);
  EXPECT_TRUE(loop.timers().active(42));
  auto next = next_of(loop, std::nullopt);
  ASSERT_EQ(next.outcome, EventLoop::Outcome::Message);
  EXPECT_EQ(next.message->kind, MessageKind::Timer);
  EXPECT_EQ(next.message->a, 42);
  EXPECT_EQ(next.message->b, 0);
  EXPECT_GE(Clock::now() - started, std::chrono::milliseconds(30));
  EXPECT_FALSE(loop.timers().active(42));
  EXPECT_EQ(next_of(loop, std::nullopt).outcome, EventLoop::Outcome::Idle);
}

TEST(TimerService, EarlierDeadlineFiresFirst) {
  EventLoop loop;
  loop.timers().start(1, 60, false);
  loop.timers().start(2, 20, false);
  EXPECT_EQ(next_of(loop, std::nullopt).message->a, 2);
  EXPECT_EQ(next_of(loop, std::nullopt).message->a, 1);
}

TEST(TimerService, RepeatingTimerFiresUntilStopped) {
  EventLoop loop;
  loop.timers().start(5, 5, true);
  for (int i = 0; i < 3; ++i) {
    auto next = next_of(loop, std::nullopt);
    ASSERT_EQ(next.outcome, EventLoop::Outcome::Message);
    EXPECT_EQ(next.message->a, 5);
    EXPECT_EQ(next.message->b, 1);
  }
  loop.timers().stop(5);
  EXPECT_EQ(loop.timers().count(), 0U);
  EXPECT_EQ(next_of(loop, std::nullopt).outcome, EventLoop::Outcome::Idle);
}

TEST(TimerService, StopDropsAFiringAlreadyQueued) {
  EventLoop loop;
  loop.timers().start(9, 0, false);
  loop.io().run_one();  // the expiry is now on the bus
  ASSERT_EQ(loop.bus().size(), 1U);
  loop.timers().start(10, 0, true);
  loop.timers().stop(9);
  loop.timers().stop(10);
  EXPECT_TRUE(loop.bus().empty());
}

TEST(TimerService, DeadlineEndsTheWait) {
  EventLoop loop;
  loop.timers().start(3, 10'000, false);
  auto next = next_of(loop, Clock::now() + std::chrono::milliseconds(20));
  EXPECT_EQ(next.outcome, EventLoop::Outcome::Deadline);
}

TEST(TimerService, HugeDelaysAreCappedNotFiredEarly) {
  EventLoop loop;
  loop.timers().start(4, std::numeric_limits<std::int64_t>::max(), false);
  loop.timers().start(5, std::numeric_limits<std::int64_t>::max(), true);
  auto next = next_of(loop, Clock::now() + std::chrono::milliseconds(30));
  EXPECT_EQ(next.outcome, EventLoop::Outcome::Deadline);
  EXPECT_EQ(TimerService::capped(std::numeric_limits<std::int64_t>::max()), TimerService::kMaxDelay);
  EXPECT_EQ(TimerService::capped(-1).count(), 0);
}

}  // namespace
}  // namespace luatnet::loop
