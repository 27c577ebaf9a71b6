// The per-ctrl state machine alone, over the in-memory backend: the events a script hears, and their
// order, for connect (literal and named hosts), data, TX_OK before the reply's EVENT, the peer's close
// behind unread data, a full send buffer, refusals and a link that goes down. No OS socket is opened and
// the loop never runs: every network happening is reported when the test says so.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "memory_backend.hpp"
#include "socket/socket_ctrl.hpp"

namespace luatnet::socket {
namespace {

using testing::MemoryBackend;

struct RecordingSink final : EventSink {
  std::vector<std::pair<int, int>> events;
  void socket_event(std::uint64_t, int event, int param) override { events.emplace_back(event, param); }
};

std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

class SocketStateMachineTest : public ::testing::Test {
 protected:
  SocketStateMachineTest() : ctrl_(1, 0, backend_, io_, sink_) { ctrl_.configure(SocketOptions{.tcp = true}); }

  // Connects to 10.0.0.1:80 and lets the peer accept: ON_LINE 0 is the only event so far.
  void go_online() {
    ASSERT_EQ(ctrl_.connect("10.0.0.1", std::nullopt, 80, false), 1);
    ASSERT_EQ(ctrl_.state(), State::Connecting);
    backend_.last().peer_accepts();
    ASSERT_EQ(ctrl_.state(), State::Online);
    ASSERT_EQ(sink_.events, (Events{{kEventOnLine, 0}}));
    sink_.events.clear();
  }

  std::string read_all() {
    std::string out(ctrl_.pending_rx().value_or(0), '\0');
    auto got = ctrl_.rx({reinterpret_cast<std::uint8_t*>(out.data()), out.size()}, nullptr);
    out.resize(got.value_or(0));
    return out;
  }

  using Events = std::vector<std::pair<int, int>>;
  asio::io_context io_;  // never run: TLS is not used here
  MemoryBackend backend_;
  RecordingSink sink_;
  SocketCtrl ctrl_;
};

TEST_F(SocketStateMachineTest, ConnectsToALiteralWithoutDns) {
  go_online();
  ASSERT_EQ(backend_.opened().size(), 1U);
  ASSERT_TRUE(backend_.last().connected_to());
  EXPECT_EQ(backend_.last().connected_to()->address.to_string(), "10.0.0.1");
  EXPECT_EQ(backend_.last().connected_to()->port, 80);
}

TEST_F(SocketStateMachineTest, DataIsAnnouncedOnceUntilRead) {
  go_online();
  EXPECT_EQ(ctrl_.wait(), 1);  // nothing unread: EVENT will follow
  backend_.last().peer_sends("abc");
  backend_.last().peer_sends("def");  // more before the script read: no second report
  EXPECT_EQ(sink_.events, (Events{{kEventEvent, 0}}));
  EXPECT_EQ(ctrl_.wait(), 0);  // unread data: done at once
  EXPECT_EQ(read_all(), "abcdef");
  backend_.last().peer_sends("g");
  EXPECT_EQ(sink_.events, (Events{{kEventEvent, 0}, {kEventEvent, 0}}));
}

TEST_F(SocketStateMachineTest, TxOkComesBeforeTheReplysEvent) {
  go_online();
  auto sent = ctrl_.tx(bytes_of("ping"), nullptr);
  EXPECT_EQ(sent.result, 1);
  EXPECT_EQ(sent.accepted, 4U);
  EXPECT_EQ(backend_.last().sent(), "ping");
  EXPECT_TRUE(sink_.events.empty());
  // The reply carries the ACK: the script hears TX_OK first, then the data.
  backend_.last().peer_replies("pong");
  EXPECT_EQ(sink_.events, (Events{{kEventTxOk, 0}, {kEventEvent, 0}}));
  EXPECT_EQ(read_all(), "pong");
}

TEST_F(SocketStateMachineTest, DataWhileWaitingForTxOkIsStillAnnounced) {
  go_online();
  ctrl_.tx(bytes_of("ping"), nullptr);
  backend_.last().peer_sends("early");  // not acknowledging what was sent
  EXPECT_EQ(sink_.events, (Events{{kEventEvent, 0}}));
  backend_.last().peer_acknowledges();
  EXPECT_EQ(sink_.events, (Events{{kEventEvent, 0}, {kEventTxOk, 0}}));
}

TEST_F(SocketStateMachineTest, RemoteCloseBehindUnreadDataKeepsTheData) {
  go_online();
  backend_.last().peer_sends("last words");
  backend_.last().peer_closes();
  EXPECT_EQ(sink_.events, (Events{{kEventEvent, 0}, {kEventEvent, -1}}));
  // What came before the close is the script's until it is read; then rx fails.
  EXPECT_EQ(ctrl_.pending_rx(), 10U);
  EXPECT_EQ(read_all(), "last words");
  EXPECT_FALSE(ctrl_.pending_rx().has_value());
  EXPECT_EQ(ctrl_.tx(bytes_of("x"), nullptr).result, -1);
  EXPECT_EQ(ctrl_.wait(), -1);
}

TEST_F(SocketStateMachineTest, FullSendBufferTakesNothingAndPromisesNoTxOk) {
  go_online();
  backend_.last().set_send_room(4);
  EXPECT_EQ(ctrl_.tx(bytes_of("1234"), nullptr).result, 1);
  auto full = ctrl_.tx(bytes_of("5"), nullptr);
  EXPECT_EQ(full.result, 0);
  EXPECT_EQ(full.accepted, 0U);
  EXPECT_EQ(backend_.last().sent(), "1234");
  backend_.last().peer_acknowledges();
  EXPECT_EQ(sink_.events, (Events{{kEventTxOk, 0}}));
  EXPECT_EQ(ctrl_.tx(bytes_of("5"), nullptr).result, 1);
}

TEST_F(SocketStateMachineTest, RefusedConnectIsOnLineFailure) {
  ASSERT_EQ(ctrl_.connect("10.0.0.1", std::nullopt, 80, false), 1);
  backend_.last().fail(std::errc::connection_refused);
  EXPECT_EQ(sink_.events, (Events{{kEventOnLine, -1}}));
  EXPECT_EQ(backend_.last().last_error(), std::make_error_code(std::errc::connection_refused));
  EXPECT_EQ(ctrl_.wait(), -1);
}

TEST_F(SocketStateMachineTest, ANamedHostTriesItsNextAddressBeforeFailing) {
  ASSERT_EQ(ctrl_.connect("device.example", std::nullopt, 1883, false), 1);
  EXPECT_EQ(ctrl_.state(), State::WaitDns);
  EXPECT_TRUE(backend_.opened().empty());
  ASSERT_TRUE(backend_.answer("device.example", {asio::ip::make_address("10.0.0.1"), asio::ip::make_address("::1")}));
  ASSERT_EQ(backend_.opened().size(), 1U);
  backend_.last().fail(std::errc::timed_out);
  ASSERT_EQ(backend_.opened().size(), 2U);  // the second address, on a fresh socket
  EXPECT_TRUE(backend_.opened().front()->is_closed());
  EXPECT_EQ(backend_.last().connected_to()->address.to_string(), "::1");
  EXPECT_TRUE(sink_.events.empty());
  backend_.last().peer_accepts();
  EXPECT_EQ(sink_.events, (Events{{kEventOnLine, 0}}));
  EXPECT_EQ(ctrl_.resolved().size(), 2U);
}

TEST_F(SocketStateMachineTest, AnUnknownHostIsOnLineFailure) {
  ASSERT_EQ(ctrl_.connect("nowhere.example", std::nullopt, 80, false), 1);
  ASSERT_TRUE(backend_.answer("nowhere.example", {}));
  EXPECT_EQ(sink_.events, (Events{{kEventOnLine, -1}}));
  EXPECT_TRUE(backend_.opened().empty());
}

TEST_F(SocketStateMachineTest, ASocketTheBackendRefusesFailsAtOnce) {
  backend_.refuse_sockets(true);
  EXPECT_EQ(ctrl_.connect("10.0.0.1", std::nullopt, 80, false), -1);
  EXPECT_EQ(ctrl_.state(), State::Offline);
  EXPECT_TRUE(sink_.events.empty());
}

TEST_F(SocketStateMachineTest, ConnectWaitsForTheLink) {
  backend_.set_link(false);
  ASSERT_EQ(ctrl_.connect("10.0.0.1", std::nullopt, 80, false), 1);
  EXPECT_EQ(ctrl_.state(), State::LinkOff);
  EXPECT_TRUE(backend_.opened().empty());
  backend_.set_link(true);
  ctrl_.on_link(true);
  ASSERT_EQ(backend_.opened().size(), 1U);
  backend_.last().peer_accepts();
  EXPECT_EQ(sink_.events, (Events{{kEventOnLine, 0}}));
}

TEST_F(SocketStateMachineTest, LinkLossWhileWaitingForTxOkIsTxOkFailure) {
  go_online();
  ctrl_.tx(bytes_of("data"), nullptr);
  ctrl_.on_link(false);
  EXPECT_EQ(sink_.events, (Events{{kEventTxOk, -1}}));
}

TEST_F(SocketStateMachineTest, DisconnectSendsFinThenReportsClosed) {
  go_online();
  EXPECT_EQ(ctrl_.disconnect(), 1);
  EXPECT_EQ(ctrl_.state(), State::Disconnecting);
  EXPECT_TRUE(backend_.last().is_shut_down());
  auto& transport = backend_.last();
  transport.shutdown_done();
  EXPECT_EQ(sink_.events, (Events{{kEventClosed, 0}}));
  EXPECT_EQ(ctrl_.state(), State::Offline);
  EXPECT_TRUE(transport.is_closed());
  EXPECT_FALSE(ctrl_.has_open_socket());
}

TEST_F(SocketStateMachineTest, UdpDatagramsKeepTheirBoundaries) {
  ctrl_.configure(SocketOptions{.tcp = false});
  go_online();
  backend_.last().peer_sends("one");
  backend_.last().peer_sends("three");
  EXPECT_EQ(ctrl_.pending_rx(), 3U);
  std::uint8_t small[2];
  EXPECT_EQ(ctrl_.rx(small, nullptr), 2U);  // the rest of the datagram is lost, as on the device
  EXPECT_EQ(ctrl_.pending_rx(), 5U);
  EXPECT_EQ(read_all(), "three");
}

}  // namespace
}  // namespace luatnet::socket
