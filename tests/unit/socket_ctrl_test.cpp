// The socket state machine against real loopback peers: the events it reports for connect, tx, data,
// wait, refusal and discon, recorded by a sink instead of the Lua layer.
#include "socket/socket_ctrl.hpp"

#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <utility>
#include <vector>

#include "loop/event_loop.hpp"
#include "socket/host_backend.hpp"

namespace luatnet::socket {
namespace {

struct RecordingSink final : EventSink {
  std::vector<std::pair<int, int>> events;
  void socket_event(std::uint64_t, int event, int param) override { events.emplace_back(event, param); }
};

class SocketCtrlTest : public ::testing::Test {
 protected:
  SocketCtrlTest()
      : adapter_(loop_.io(), adapter::AdapterConfig{.index = 17}),
        backend_(loop_.io(), adapter_),
        acceptor_(loop_.io(), asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        ctrl_(1, adapter_.index(), backend_, loop_.io(), sink_) {
    ctrl_.configure(SocketOptions{.tcp = true});
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  // Runs the loop until `count` events were reported (or a bounded number of steps passed).
  void run_until_events(std::size_t count) {
    for (int step = 0; step < 2000 && sink_.events.size() < count; ++step) {
      loop_.io().run_one_for(std::chrono::milliseconds(5));
      if (loop_.io().stopped()) loop_.io().restart();
    }
  }

  loop::EventLoop loop_;
  adapter::Adapter adapter_;
  HostBackend backend_;
  asio::ip::tcp::acceptor acceptor_;
  RecordingSink sink_;
  SocketCtrl ctrl_;
};

TEST_F(SocketCtrlTest, ConnectTxReceiveAndDisconnect) {
  asio::ip::tcp::socket peer(loop_.io());
  acceptor_.async_accept(peer, [](const std::error_code&) {});
  ASSERT_EQ(ctrl_.connect("127.0.0.1", std::nullopt, port(), false), 1);
  EXPECT_EQ(ctrl_.state(), State::Connecting);
  run_until_events(1);
  ASSERT_EQ(sink_.events.size(), 1U);
  EXPECT_EQ(sink_.events[0], std::make_pair(kEventOnLine, 0));
  EXPECT_EQ(ctrl_.state(), State::Online);

  const std::string payload = "hello";
  auto sent = ctrl_.tx({reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}, nullptr);
  EXPECT_EQ(sent.result, 1);
  EXPECT_EQ(sent.accepted, payload.size());
  run_until_events(2);
  ASSERT_EQ(sink_.events.size(), 2U);
  EXPECT_EQ(sink_.events[1], std::make_pair(kEventTxOk, 0));
  std::string received(payload.size(), '\0');
  asio::read(peer, asio::buffer(received));
  EXPECT_EQ(received, payload);

  EXPECT_EQ(ctrl_.wait(), 1);  // nothing unread: EVENT will follow
  asio::write(peer, asio::buffer(std::string("abc")));
  run_until_events(3);
  ASSERT_EQ(sink_.events.size(), 3U);
  EXPECT_EQ(sink_.events[2], std::make_pair(kEventEvent, 0));
  EXPECT_EQ(ctrl_.wait(), 0);  // unread data: done at once
  EXPECT_EQ(ctrl_.pending_rx(), 3U);
  std::uint8_t into[2];
  EXPECT_EQ(ctrl_.rx(into, nullptr), 2U);  // a limit leaves the rest
  EXPECT_EQ(ctrl_.pending_rx(), 1U);

  EXPECT_EQ(ctrl_.disconnect(), 1);
  EXPECT_EQ(ctrl_.state(), State::Disconnecting);
  run_until_events(4);
  ASSERT_EQ(sink_.events.size(), 4U);
  EXPECT_EQ(sink_.events[3], std::make_pair(kEventClosed, 0));
  EXPECT_EQ(ctrl_.state(), State::Offline);
  EXPECT_FALSE(ctrl_.has_open_socket());
}

TEST_F(SocketCtrlTest, RefusedConnectionIsOnLineFailure) {
  std::uint16_t closed_port = port();
  acceptor_.close();
  ASSERT_EQ(ctrl_.connect("127.0.0.1", std::nullopt, closed_port, false), 1);
  run_until_events(1);
  ASSERT_EQ(sink_.events.size(), 1U);
  EXPECT_EQ(sink_.events[0], std::make_pair(kEventOnLine, -1));
  EXPECT_EQ(ctrl_.connect("127.0.0.1", std::nullopt, closed_port, false), -1) << "the socket is still held";
  ctrl_.force_close();
  EXPECT_EQ(ctrl_.connect("127.0.0.1", std::nullopt, closed_port, false), 1);
}

TEST_F(SocketCtrlTest, RemoteCloseIsEventFailure) {
  asio::ip::tcp::socket peer(loop_.io());
  acceptor_.async_accept(peer, [](const std::error_code&) {});
  ctrl_.connect("127.0.0.1", std::nullopt, port(), false);
  run_until_events(1);
  peer.close();
  run_until_events(2);
  ASSERT_EQ(sink_.events.size(), 2U);
  EXPECT_EQ(sink_.events[1], std::make_pair(kEventEvent, -1));
  EXPECT_EQ(ctrl_.wait(), -1);
  const std::uint8_t byte = 1;
  EXPECT_EQ(ctrl_.tx({&byte, 1}, nullptr).result, -1);
}

TEST_F(SocketCtrlTest, CallsBeforeConnectingFail) {
  EXPECT_EQ(ctrl_.wait(), -1);
  EXPECT_FALSE(ctrl_.pending_rx().has_value());
  const std::uint8_t byte = 1;
  EXPECT_EQ(ctrl_.tx({&byte, 1}, nullptr).result, -1);
  EXPECT_EQ(ctrl_.disconnect(), 0);
  EXPECT_EQ(ctrl_.link_up(), 0);
  EXPECT_EQ(ctrl_.state(), State::Offline);
  EXPECT_TRUE(sink_.events.empty());
}

}  // namespace
}  // namespace luatnet::socket
