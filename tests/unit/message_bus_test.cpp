#include "loop/message_bus.hpp"

#include <gtest/gtest.h>

#include <asio/post.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "loop/event_loop.hpp"
#include "loop_next.hpp"

namespace luatnet::loop {
namespace {

TEST(MessageBus, DeliversInPostingOrder) {
  MessageBus bus;
  for (int i = 0; i < 5; ++i) bus.post(Message{.kind = MessageKind::Handled, .a = i});
  Message message;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(bus.take(message));
    EXPECT_EQ(message.a, i);
  }
  EXPECT_FALSE(bus.take(message));
}

TEST(MessageBus, KeepsOrderWhileGrowingAroundItsEnd) {
  MessageBus bus;
  Message message;
  int posted = 0;
  int taken = 0;
  // Interleaved so that the ring wraps before each growth: 300 queued at most, 1,000 through.
  while (taken < 1000) {
    for (int i = 0; i < 5 && posted < 1000; ++i) {
      bus.post(Message{.a = posted, .text = std::to_string(posted)});
      ++posted;
    }
    if (posted % 15 == 0 || posted == 1000) {
      ASSERT_TRUE(bus.take(message));
      EXPECT_EQ(message.a, taken);
      EXPECT_EQ(message.text, std::to_string(taken));
      ++taken;
    }
    ASSERT_EQ(bus.size(), static_cast<std::size_t>(posted - taken));
  }
  EXPECT_TRUE(bus.empty());
}

TEST(MessageBus, TakenMessageOwnsItsHandler) {
  MessageBus bus;
  auto capture = std::make_shared<int>(7);
  std::weak_ptr<int> watch = capture;
  bus.post(Message{.handler = [capture](lua_State*, const Message&) {}});
  capture.reset();
  Message message;
  ASSERT_TRUE(bus.take(message));
  ASSERT_TRUE(message.handler);
  message = Message{};
  EXPECT_TRUE(watch.expired());  // the slot it came from kept no copy of the capture
}

TEST(MessageBus, DiscardKeepsOrderAcrossTheRingsEnd) {
  MessageBus bus;
  Message message;
  for (int i = 0; i < 60; ++i) bus.post(Message{.a = i});
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(bus.take(message));
  // The next 20 start near the end of the 64 slots and wrap.
  for (int i = 0; i < 20; ++i)
    bus.post(Message{.kind = i % 2 == 0 ? MessageKind::Timer : MessageKind::Handled, .a = i});
  bus.discard_if([](const Message& m) { return m.kind == MessageKind::Timer; });
  ASSERT_EQ(bus.size(), 10U);
  for (int i = 1; i < 20; i += 2) {
    ASSERT_TRUE(bus.take(message));
    EXPECT_EQ(message.a, i);
  }
  EXPECT_FALSE(bus.take(message));
}

TEST(MessageBus, DiscardRemovesOnlyMatchingMessages) {
  MessageBus bus;
  bus.post(Message{.kind = MessageKind::Timer, .a = 7});
  bus.post(Message{.kind = MessageKind::Handled, .a = 7});
  bus.post(Message{.kind = MessageKind::Timer, .a = 8});
  bus.discard_if([](const Message& m) { return m.kind == MessageKind::Timer && m.a == 7; });
  ASSERT_EQ(bus.size(), 2U);
  Message message;
  ASSERT_TRUE(bus.take(message));
  EXPECT_EQ(message.kind, MessageKind::Handled);
  ASSERT_TRUE(bus.take(message));
  EXPECT_EQ(message.a, 8);
  EXPECT_FALSE(bus.take(message));
}

TEST(EventLoop, ReportsIdleWhenNothingCanHappen) {
  EventLoop loop;
  EXPECT_EQ(next_of(loop, std::nullopt).outcome, EventLoop::Outcome::Idle);
}

TEST(EventLoop, ReturnsQueuedMessageBeforeRunningIo) {
  EventLoop loop;
  loop.bus().post(Message{.kind = MessageKind::Handled, .a = 17, .text = "127.0.0.1"});
  auto next = next_of(loop, std::nullopt);
  ASSERT_EQ(next.outcome, EventLoop::Outcome::Message);
  EXPECT_EQ(next.message->text, "127.0.0.1");
}

// A handler that is already due runs before a passed deadline or the end of the last activity is
// reported: what it posts is delivered first.
TEST(EventLoop, DueHandlersRunBeforeADeadlineThatPassed) {
  EventLoop loop;
  loop.timers().start(1, 10'000, false);
  asio::post(loop.io(), [&loop] { loop.bus().post(Message{.a = 5}); });
  auto next = next_of(loop, EventLoop::Clock::now() - std::chrono::milliseconds(1));
  ASSERT_EQ(next.outcome, EventLoop::Outcome::Message);
  EXPECT_EQ(next.message->a, 5);
  EXPECT_EQ(next_of(loop, EventLoop::Clock::now() - std::chrono::milliseconds(1)).outcome,
            EventLoop::Outcome::Deadline);
}

TEST(EventLoop, DueHandlersRunBeforeIdleIsReported) {
  EventLoop loop;
  asio::post(loop.io(), [&loop] { loop.bus().post(Message{.a = 6}); });
  auto next = next_of(loop, std::nullopt);
  ASSERT_EQ(next.outcome, EventLoop::Outcome::Message);
  EXPECT_EQ(next.message->a, 6);
  EXPECT_EQ(next_of(loop, std::nullopt).outcome, EventLoop::Outcome::Idle);
}

// Ready handlers run in the order they were posted, all before the message one of them posts is taken.
TEST(EventLoop, RunsReadyHandlersInOrderWhileActive) {
  EventLoop loop;
  loop.timers().start(1, 10'000, false);
  int ran = 0;
  asio::post(loop.io(), [&ran] { ++ran; });
  asio::post(loop.io(), [&loop, &ran] { loop.bus().post(Message{.a = ++ran}); });
  auto next = next_of(loop, std::nullopt);
  ASSERT_EQ(next.outcome, EventLoop::Outcome::Message);
  EXPECT_EQ(next.message->a, 2);
}

TEST(EventLoop, StopsWhenAsked) {
  EventLoop loop;
  loop.timers().start(1, 10'000, false);
  loop.request_stop();
  EXPECT_EQ(next_of(loop, std::nullopt).outcome, EventLoop::Outcome::Stopped);
}

}  // namespace
}  // namespace luatnet::loop
