// The MQTT client against a scripted peer on loopback: the exact bytes it puts on the wire (CONNECT, a QoS 2
// PUBLISH and its PUBREL, the PUBREC and PUBCOMP for an incoming QoS 2 message) and the events it reports,
// and a 256 MB remaining length that ends the link from the header alone.
#include "proto/mqtt/mqtt_client.hpp"

#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/write.hpp>

#include "adapter/adapter_registry.hpp"
#include "loop/event_loop.hpp"
#include "mqtt_test_bytes.hpp"

namespace luatnet::proto::mqtt {
namespace {

class MqttClientTest : public ::testing::Test {
 protected:
  MqttClientTest()
      : adapters_(loop_),
        sockets_(loop_, adapters_),
        acceptor_(loop_.io(), {asio::ip::make_address("127.0.0.1"), 0}),
        peer_(loop_.io()) {
    adapters_.configure(adapter::default_adapters_config());
    acceptor_.async_accept(peer_, [this](const std::error_code& error) { accepted_ = !error; });
    client_ = Client::create(
        sockets_, loop_.io(),
        ClientSettings{
            .adapter_index = adapters_.default_index(), .host = "127.0.0.1", .port = acceptor_.local_endpoint().port()},
        [this](Event event) { events_.push_back(std::move(event)); });
    client_->set_identity("u1", "", "", true);
  }

  template <typename Predicate>
  bool run_until(Predicate done) {
    for (int step = 0; step < 2000 && !done(); ++step) {
      loop_.io().run_one_for(std::chrono::milliseconds(5));
      if (loop_.io().stopped()) loop_.io().restart();
    }
    return done();
  }

  // The next `count` bytes the client sent.
  Bytes peer_reads(std::size_t count) {
    Bytes data(count);
    bool done = false;
    asio::async_read(peer_, asio::buffer(data), [&](const std::error_code& error, std::size_t) { done = !error; });
    EXPECT_TRUE(run_until([&] { return done; }));
    return data;
  }

  void peer_writes(const Bytes& data) { asio::write(peer_, asio::buffer(data)); }

  bool has_event(Event::Kind kind) {
    return run_until([&] {
      for (const auto& event : events_)
        if (event.kind == kind) return true;
      return false;
    });
  }

  void connect() {
    ASSERT_TRUE(client_->connect());
    ASSERT_TRUE(run_until([&] { return accepted_; }));
    // CONNECT: "MQTT" level 4, clean session, keep-alive 240 (0x00f0), client id "u1"
    EXPECT_EQ(peer_reads(16),
              bytes({0x10, 0x0e, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0xf0, 0x00, 0x02, 'u', '1'}));
    EXPECT_EQ(client_->state(), State::MqttConnecting);
    peer_writes(bytes({0x20, 0x02, 0x00, 0x00}));
    ASSERT_TRUE(has_event(Event::Kind::ConnAck));
    EXPECT_EQ(client_->state(), State::Ready);
  }

  loop::EventLoop loop_;
  adapter::AdapterRegistry adapters_;
  socket::SocketRegistry sockets_;
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::socket peer_;
  bool accepted_ = false;
  std::shared_ptr<Client> client_;
  std::vector<Event> events_;
};

TEST_F(MqttClientTest, PublishesAtQos2AndAnswersTheBrokersQos2) {
  connect();
  std::string payload = "hi";
  auto id =
      client_->publish("a", std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()), 2, false);
  ASSERT_EQ(id, 1);
  EXPECT_EQ(peer_reads(9), bytes({0x34, 0x07, 0x00, 0x01, 'a', 0x00, 0x01, 'h', 'i'}));
  peer_writes(bytes({0x50, 0x02, 0x00, 0x01}));  // PUBREC
  EXPECT_EQ(peer_reads(4), bytes({0x62, 0x02, 0x00, 0x01}));
  peer_writes(bytes({0x70, 0x02, 0x00, 0x01}));  // PUBCOMP
  ASSERT_TRUE(has_event(Event::Kind::Sent));
  EXPECT_EQ(events_.back().code, 1);

  peer_writes(bytes({0x34, 0x06, 0x00, 0x01, 't', 0x00, 0x07, 'x'}));  // PUBLISH QoS 2, id 7
  EXPECT_EQ(peer_reads(4), bytes({0x50, 0x02, 0x00, 0x07}));
  ASSERT_TRUE(has_event(Event::Kind::Received));
  const auto& publish = *events_.back().publish;
  EXPECT_EQ(publish.topic, "t");
  EXPECT_EQ(publish.payload, "x");
  EXPECT_EQ(publish.qos, 2);
  EXPECT_EQ(publish.packet_id, 7);
  peer_writes(bytes({0x62, 0x02, 0x00, 0x07}));  // PUBREL
  EXPECT_EQ(peer_reads(4), bytes({0x70, 0x02, 0x00, 0x07}));
}

TEST_F(MqttClientTest, AHugeRemainingLengthEndsTheLinkFromTheHeader) {
  connect();
  peer_writes(bytes({0x30, 0xff, 0xff, 0xff, 0x7f, 'x', 'x', 'x'}));
  ASSERT_TRUE(has_event(Event::Kind::Close));
  ASSERT_GE(events_.size(), 3u);
  EXPECT_EQ(events_[1].kind, Event::Kind::Disconnect);
  EXPECT_EQ(events_[1].code, kDisconnectSocket);
  EXPECT_EQ(client_->state(), State::Disconnected);
  EXPECT_FALSE(client_->busy());
}

TEST_F(MqttClientTest, SendsNothingBeforeTheSocketIsOnline) {
  std::string payload = "x";
  auto span = std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  EXPECT_FALSE(client_->publish("a", span, 1, false));
  EXPECT_FALSE(client_->subscribe({{"a", 1}}));
  EXPECT_TRUE(client_->connect());
  EXPECT_FALSE(client_->connect());  // already connecting
  client_->close();
  EXPECT_TRUE(client_->closed());
  EXPECT_FALSE(client_->connect());
}

}  // namespace
}  // namespace luatnet::proto::mqtt
