#include "loop/readiness_poller.hpp"

#include <gtest/gtest.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

namespace luatnet::loop {
namespace {

using namespace std::chrono_literals;

struct Recorder : ReadyHandler {
  std::vector<std::uint32_t> events;
  int deferred_runs = 0;
  void on_ready(std::uint32_t epoll_events) override { events.push_back(epoll_events); }
  void on_deferred() override { ++deferred_runs; }
};

struct SocketPair {
  int ends[2] = {-1, -1};
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, ends), 0); }
  ~SocketPair() {
    for (int end : ends) ::close(end);
  }
};

bool readable(std::uint32_t events) { return (events & EPOLLIN) != 0; }

TEST(ReadinessPoller, ReportsEachNewArrivalOnce) {
  asio::io_context io;
  auto& poller = ReadinessPoller::of(io);
  SocketPair pair;
  Recorder recorder;
  ASSERT_TRUE(poller.watch(pair.ends[0], recorder));
  io.run_for(20ms);
  recorder.events.clear();  // registration reports the current state (writable)

  ASSERT_EQ(::write(pair.ends[1], "a", 1), 1);
  io.run_for(20ms);
  ASSERT_EQ(recorder.events.size(), 1U);
  EXPECT_TRUE(readable(recorder.events[0]));

  // Edge-triggered: unread data is not reported again until more arrives.
  io.run_for(20ms);
  EXPECT_EQ(recorder.events.size(), 1U);
  ASSERT_EQ(::write(pair.ends[1], "b", 1), 1);
  io.run_for(20ms);
  EXPECT_EQ(recorder.events.size(), 2U);
}

TEST(ReadinessPoller, ForgottenWatchHearsNothingAndItsSlotIsReused) {
  asio::io_context io;
  auto& poller = ReadinessPoller::of(io);
  SocketPair first;
  SocketPair second;
  Recorder old_owner;
  Recorder new_owner;
  auto watch = poller.watch(first.ends[0], old_owner);
  ASSERT_TRUE(watch);
  ASSERT_EQ(::write(first.ends[1], "a", 1), 1);  // harvested after forget(): must not reach old_owner
  poller.forget(*watch);
  auto reused = poller.watch(second.ends[0], new_owner);
  ASSERT_TRUE(reused);
  EXPECT_EQ(reused->slot, watch->slot);
  EXPECT_NE(reused->generation, watch->generation);
  io.run_for(20ms);
  EXPECT_TRUE(old_owner.events.empty());
  new_owner.events.clear();
  ASSERT_EQ(::write(second.ends[1], "b", 1), 1);
  io.run_for(20ms);
  ASSERT_EQ(new_owner.events.size(), 1U);
  EXPECT_TRUE(readable(new_owner.events[0]));
}

TEST(ReadinessPoller, RefusesWhatEpollCannotWatch) {
  asio::io_context io;
  Recorder recorder;
  EXPECT_FALSE(ReadinessPoller::of(io).watch(-1, recorder));
}

TEST(ReadinessPoller, DeferredWorkOfOneTurnRunsOnceForEachLiveWatch) {
  asio::io_context io;
  auto& poller = ReadinessPoller::of(io);
  SocketPair first;
  SocketPair second;
  SocketPair third;
  Recorder a;
  Recorder b;
  Recorder gone;
  auto watch_a = poller.watch(first.ends[0], a);
  auto watch_b = poller.watch(second.ends[0], b);
  auto watch_gone = poller.watch(third.ends[0], gone);
  ASSERT_TRUE(watch_a && watch_b && watch_gone);
  poller.defer(*watch_a);
  poller.defer(*watch_b);
  poller.defer(*watch_gone);
  poller.forget(*watch_gone);     // closed in the same turn: its deferred work must not run
  EXPECT_EQ(a.deferred_runs, 0);  // not before the turn is over
  io.poll();
  EXPECT_EQ(a.deferred_runs, 1);
  EXPECT_EQ(b.deferred_runs, 1);
  EXPECT_EQ(gone.deferred_runs, 0);
  // The next turn's deferral runs again, once.
  poller.defer(*watch_b);
  io.poll();
  io.poll();
  EXPECT_EQ(a.deferred_runs, 1);
  EXPECT_EQ(b.deferred_runs, 2);
}

}  // namespace
}  // namespace luatnet::loop
