// The loop's liveness count: ActiveHandle, and when the EventLoop calls itself idle.
#include "loop/activity.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <utility>

#include "loop/event_loop.hpp"
#include "loop_next.hpp"
#include "loop/timer.hpp"

namespace luatnet::loop {
namespace {

class ActiveHandleTest : public ::testing::Test {
 protected:
  asio::io_context io;
  const ActivityCount& count = ActivityCount::of(io);
};

TEST_F(ActiveHandleTest, CountsOnceWhileHeld) {
  ActiveHandle first(io);
  ActiveHandle second(io);
  EXPECT_EQ(count.held(), 0U);
  EXPECT_FALSE(first.held());
  first.hold();
  first.hold();  // already held: no second count
  EXPECT_TRUE(first.held());
  EXPECT_EQ(count.held(), 1U);
  second.set(true);
  EXPECT_EQ(count.held(), 2U);
  first.release();
  first.release();  // a second release gives nothing back that another handle holds
  EXPECT_FALSE(first.held());
  EXPECT_EQ(count.held(), 1U);
  second.set(false);
  EXPECT_EQ(count.held(), 0U);
}

TEST_F(ActiveHandleTest, ReleasesWhenDestroyed) {
  {
    ActiveHandle held(io);
    held.hold();
    ActiveHandle idle(io);  // never held: gives nothing back
    EXPECT_EQ(count.held(), 1U);
  }
  EXPECT_EQ(count.held(), 0U);
}

TEST_F(ActiveHandleTest, AMoveTakesTheHoldAlong) {
  ActiveHandle source(io);
  source.hold();
  ActiveHandle moved(std::move(source));
  EXPECT_TRUE(moved.held());
  EXPECT_FALSE(source.held());  // the moved-from state is specified: released
  EXPECT_EQ(count.held(), 1U);
  source.release();
  EXPECT_EQ(count.held(), 1U);

  ActiveHandle target(io);
  target.hold();
  EXPECT_EQ(count.held(), 2U);
  target = std::move(moved);  // the target's own hold ends, the moved one continues
  EXPECT_TRUE(target.held());
  EXPECT_EQ(count.held(), 1U);
  ActiveHandle& alias = target;
  target = std::move(alias);  // a self-move changes nothing
  EXPECT_EQ(count.held(), 1U);
  {
    ActiveHandle sink(std::move(target));
    EXPECT_EQ(count.held(), 1U);
  }
  EXPECT_EQ(count.held(), 0U);
}

TEST_F(ActiveHandleTest, EachLoopCountsItsOwn) {
  asio::io_context other;
  ActiveHandle handle(io);
  handle.hold();
  EXPECT_EQ(count.held(), 1U);
  EXPECT_EQ(ActivityCount::of(other).held(), 0U);
}

TEST(EventLoopActivity, IdleOnlyOnceTheLastHandleIsReleased) {
  EventLoop loop;
  ActiveHandle work(loop.io());
  work.hold();
  bool finished = false;
  // The work ends on a loop::Timer, which itself does not keep the loop active.
  Timer timer(loop.io(), std::chrono::milliseconds(20));
  timer.async_wait([&](const std::error_code& error) {
    if (error) return;
    finished = true;
    work.release();
  });
  EXPECT_EQ(next_of(loop, std::nullopt).outcome, EventLoop::Outcome::Idle);
  EXPECT_TRUE(finished);
}

TEST(EventLoopActivity, IdleAtOnceWithoutAHandle) {
  EventLoop loop;
  bool fired = false;
  Timer timer(loop.io(), std::chrono::hours(1));
  timer.async_wait([&](const std::error_code& error) { fired = !error; });
  EXPECT_EQ(next_of(loop, std::nullopt).outcome, EventLoop::Outcome::Idle);
  EXPECT_FALSE(fired);
}

}  // namespace
}  // namespace luatnet::loop
