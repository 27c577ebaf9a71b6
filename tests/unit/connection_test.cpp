// The protocol modules' Connection against real loopback peers: bytes out and back in order through the
// socket core, a graceful close, a refused connection reported once, and UDP datagrams kept whole.
#include "proto/connection.hpp"

#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <string>

#include "adapter/adapter_registry.hpp"
#include "loop/event_loop.hpp"

namespace luatnet::proto {
namespace {

class ConnectionTest : public ::testing::Test {
 protected:
  ConnectionTest() : adapters_(loop_), sockets_(loop_, adapters_) {
    adapters_.configure(adapter::default_adapters_config());
  }

  // Runs the loop until `done` holds (or a bounded number of steps passed).
  template <typename Predicate>
  void run_until(Predicate done) {
    for (int step = 0; step < 4000 && !done(); ++step) {
      loop_.io().run_one_for(std::chrono::milliseconds(5));
      if (loop_.io().stopped()) loop_.io().restart();
    }
  }

  loop::EventLoop loop_;
  adapter::AdapterRegistry adapters_;
  socket::SocketRegistry sockets_;
};

TEST_F(ConnectionTest, EchoesALargeStreamInOrderAndClosesGracefully) {
  asio::ip::tcp::acceptor acceptor(loop_.io(), {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(loop_.io());
  acceptor.async_accept(peer, [](const std::error_code&) {});

  std::string received;
  bool connected = false;
  std::optional<int> closed;
  auto connection = Connection::create(
      sockets_, loop_.io(), ConnectionOptions{.adapter_index = adapters_.default_index()},
      ConnectionHandlers{
          .connected = [&] { connected = true; },
          .received = [&](std::span<const std::uint8_t> bytes) { received.append(bytes.begin(), bytes.end()); },
          .drained = {},
          .closed = [&](int result) { closed = result; }});
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(connection->open("127.0.0.1", acceptor.local_endpoint().port()));
  run_until([&] { return connected; });
  ASSERT_TRUE(connected);

  std::string payload;
  for (int i = 0; payload.size() < 1024 * 1024; ++i) payload += std::to_string(i) + ",";
  ASSERT_TRUE(connection->send(payload));
  // The peer echoes what it reads, on a second socket operation each time.
  std::vector<char> chunk(65536);
  std::function<void()> echo = [&] {
    peer.async_read_some(asio::buffer(chunk), [&](const std::error_code& error, std::size_t count) {
      if (error) return;
      asio::write(peer, asio::buffer(chunk.data(), count));
      echo();
    });
  };
  echo();
  run_until([&] { return received.size() >= payload.size(); });
  EXPECT_EQ(received, payload);
  EXPECT_EQ(connection->queued(), 0U);

  connection->close();
  peer.shutdown(asio::ip::tcp::socket::shutdown_send);
  run_until([&] { return closed.has_value(); });
  ASSERT_TRUE(closed.has_value());
  EXPECT_EQ(*closed, 0);
  EXPECT_FALSE(connection->send(std::string_view("late")));
}

TEST_F(ConnectionTest, RefusedConnectionIsReportedOnce) {
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor unused(loop_.io(), {asio::ip::make_address("127.0.0.1"), 0});
    port = unused.local_endpoint().port();
  }  // closed again: nothing listens there now
  int reports = 0;
  int result = 0;
  bool connected = false;
  auto connection =
      Connection::create(sockets_, loop_.io(), ConnectionOptions{.adapter_index = adapters_.default_index()},
                         ConnectionHandlers{.connected = [&] { connected = true; },
                                            .received = {},
                                            .drained = {},
                                            .closed =
                                                [&](int value) {
                                                  ++reports;
                                                  result = value;
                                                }});
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(connection->open("127.0.0.1", port));
  run_until([&] { return reports > 0; });
  auto settle = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  run_until([&] { return std::chrono::steady_clock::now() > settle; });  // nothing more may come
  EXPECT_FALSE(connected);
  EXPECT_EQ(reports, 1);
  EXPECT_LT(result, 0);
  EXPECT_FALSE(connection->online());
}

TEST_F(ConnectionTest, UdpDatagramsGoAndComeBackWhole) {
  asio::ip::udp::socket peer(loop_.io(), {asio::ip::make_address("127.0.0.1"), 0});
  std::vector<std::string> datagrams;
  bool connected = false;
  auto connection = Connection::create(
      sockets_, loop_.io(), ConnectionOptions{.adapter_index = adapters_.default_index(), .tcp = false},
      ConnectionHandlers{
          .connected = [&] { connected = true; },
          .received = [&](std::span<const std::uint8_t> bytes) { datagrams.emplace_back(bytes.begin(), bytes.end()); },
          .drained = {},
          .closed = {}});
  ASSERT_NE(connection, nullptr);
  ASSERT_TRUE(connection->open("127.0.0.1", peer.local_endpoint().port()));
  run_until([&] { return connected; });
  ASSERT_TRUE(connected);
  ASSERT_TRUE(connection->send(std::string_view("first")));
  ASSERT_TRUE(connection->send(std::string_view("second")));

  // The peer answers each datagram with two of its own, to the sender's address.
  std::array<char, 512> buffer{};
  asio::ip::udp::endpoint sender;
  int answered = 0;
  std::function<void()> answer = [&] {
    peer.async_receive_from(asio::buffer(buffer), sender, [&](const std::error_code& error, std::size_t count) {
      if (error) return;
      std::string text(buffer.data(), count);
      peer.send_to(asio::buffer("re:" + text), sender);
      peer.send_to(asio::buffer(std::string(300, 'x')), sender);
      ++answered;
      answer();
    });
  };
  answer();
  run_until([&] { return datagrams.size() >= 4; });
  ASSERT_EQ(answered, 2);
  ASSERT_EQ(datagrams.size(), 4U);
  EXPECT_EQ(datagrams[0], "re:first");
  EXPECT_EQ(datagrams[1], std::string(300, 'x'));
  EXPECT_EQ(datagrams[2], "re:second");
  EXPECT_EQ(datagrams[3], std::string(300, 'x'));
  connection->abort();
}

}  // namespace
}  // namespace luatnet::proto
