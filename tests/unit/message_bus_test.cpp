#include "loop/message_bus.hpp"

#include <gtest/gtest.h>

#include "loop/event_loop.hpp"

namespace luatnet::loop {
namespace {

TEST(MessageBus, DeliversInPostingOrder) {
  MessageBus bus;
  for (int i = 0; i < 5; ++i) bus.post(Message{.kind = MessageKind::Handled, .a = i});
  for (int i = 0; i < 5; ++i) {
    auto message = bus.take();
    ASSERT_TRUE(message.has_value());
    EXPECT_EQ(message->a, i);
  }
  EXPECT_FALSE(bus.take().has_value());
}

TEST(MessageBus, DiscardRemovesOnlyMatchingMessages) {
  MessageBus bus;
  bus.post(Message{.kind = MessageKind::Timer, .a = 7});
  bus.post(Message{.kind = MessageKind::Handled, .a = 7});
  bus.post(Message{.kind = MessageKind::Timer, .a = 8});
  bus.discard_if([](const Message& m) { return m.kind == MessageKind::Timer && m.a == 7; });
  ASSERT_EQ(bus.size(), 2U);
  EXPECT_EQ(bus.take()->kind, MessageKind::Handled);
  EXPECT_EQ(bus.take()->a, 8);
}

TEST(EventLoop, ReportsIdleWhenNothingCanHappen) {
  EventLoop loop;
  EXPECT_EQ(loop.next(std::nullopt).outcome, EventLoop::Outcome::Idle);
}

TEST(EventLoop, ReturnsQueuedMessageBeforeRunningIo) {
  EventLoop loop;
  loop.bus().post(Message{.kind = MessageKind::Handled, .a = 17, .text = "127.0.0.1"});
  auto next = loop.next(std::nullopt);
  ASSERT_EQ(next.outcome, EventLoop::Outcome::Message);
  EXPECT_EQ(next.message->text, "127.0.0.1");
}

TEST(EventLoop, StopsWhenAsked) {
  EventLoop loop;
  loop.timers().start(1, 10'000, false);
  loop.request_stop();
  EXPECT_EQ(loop.next(std::nullopt).outcome, EventLoop::Outcome::Stopped);
}

}  // namespace
}  // namespace luatnet::loop
