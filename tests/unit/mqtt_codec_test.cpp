// The MQTT 3.1.1 codec: packets byte for byte as the specification lays them out (section 2 fixed header,
// section 3 per packet), the remaining length at its boundaries, and a reader fed partial, concatenated,
// oversized and malformed input.
#include "proto/mqtt/mqtt_codec.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "mqtt_test_bytes.hpp"

namespace luatnet::proto::mqtt {
namespace {

std::span<const std::uint8_t> text(std::string_view value) {
  return {reinterpret_cast<const std::uint8_t*>(value.data()), value.size()};
}

TEST(MqttCodec, RemainingLengthAtTheSpecificationsBoundaries) {
  EXPECT_EQ(encode_remaining_length(0), bytes({0x00}));
  EXPECT_EQ(encode_remaining_length(127), bytes({0x7f}));
  EXPECT_EQ(encode_remaining_length(128), bytes({0x80, 0x01}));
  EXPECT_EQ(encode_remaining_length(16'383), bytes({0xff, 0x7f}));
  EXPECT_EQ(encode_remaining_length(16'384), bytes({0x80, 0x80, 0x01}));
  EXPECT_EQ(encode_remaining_length(2'097'151), bytes({0xff, 0xff, 0x7f}));
  EXPECT_EQ(encode_remaining_length(2'097'152), bytes({0x80, 0x80, 0x80, 0x01}));
  EXPECT_EQ(encode_remaining_length(268'435'455), bytes({0xff, 0xff, 0xff, 0x7f}));
  EXPECT_THROW(encode_remaining_length(268'435'456), std::length_error);
}

TEST(MqttCodec, ConnectWithClientIdOnly) {
  ConnectFields fields{.client_id = "c1", .clean_session = true, .keep_alive = 60};
  EXPECT_EQ(encode_connect(fields),
            bytes({0x10, 0x0e, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c, 0x00, 0x02, 'c', '1'}));
}

TEST(MqttCodec, ConnectWithWillUserAndPasswordInSpecificationOrder) {
  ConnectFields fields{.client_id = "c1",
                       .username = "u",
                       .password = "p",
                       .clean_session = false,
                       .keep_alive = 300,
                       .will = Will{.topic = "w", .payload = "x", .qos = 1, .retain = true}};
  // flags: user name 0x80, password 0x40, will retain 0x20, will QoS 1 (bits 3-4), will flag 0x04
  EXPECT_EQ(encode_connect(fields),
            bytes({0x10, 0x1a, 0x00, 0x04, 'M', 'Q',  'T',  'T', 0x04, 0xec, 0x01, 0x2c, 0x00, 0x02,
                   'c',  '1',  0x00, 0x01, 'w', 0x00, 0x01, 'x', 0x00, 0x01, 'u',  0x00, 0x01, 'p'}));
}

TEST(MqttCodec, ConnectRefusesAFieldLongerThan65535Bytes) {
  ConnectFields fields{.client_id = std::string(65'536, 'a')};
  EXPECT_THROW(encode_connect(fields), std::length_error);
}

TEST(MqttCodec, PublishAtEachQos) {
  EXPECT_EQ(encode_publish("a/b", text("hi"), 0, false, 0), bytes({0x30, 0x07, 0x00, 0x03, 'a', '/', 'b', 'h', 'i'}));
  EXPECT_EQ(encode_publish("a/b", text("hi"), 1, true, 10),
            bytes({0x33, 0x09, 0x00, 0x03, 'a', '/', 'b', 0x00, 0x0a, 'h', 'i'}));
  EXPECT_EQ(encode_publish("a/b", text(""), 2, false, 0x1234, true),
            bytes({0x3c, 0x07, 0x00, 0x03, 'a', '/', 'b', 0x12, 0x34}));
}

TEST(MqttCodec, PublishWithATwoByteRemainingLength) {
  std::string payload(200, 'z');
  Bytes packet = encode_publish("t", text(payload), 0, false, 0);
  ASSERT_EQ(packet.size(), 1 + 2 + 3 + 200u);
  EXPECT_EQ(packet[0], 0x30);
  EXPECT_EQ(packet[1], 0x80 | (203 % 128));
  EXPECT_EQ(packet[2], 203 / 128);
}

TEST(MqttCodec, SubscribeAndUnsubscribe) {
  Subscription subscriptions[] = {{"a/b", 1}, {"c", 2}};
  EXPECT_EQ(encode_subscribe(1, subscriptions),
            bytes({0x82, 0x0c, 0x00, 0x01, 0x00, 0x03, 'a', '/', 'b', 0x01, 0x00, 0x01, 'c', 0x02}));
  std::string topics[] = {"a/b"};
  EXPECT_EQ(encode_unsubscribe(2, topics), bytes({0xa2, 0x07, 0x00, 0x02, 0x00, 0x03, 'a', '/', 'b'}));
}

TEST(MqttCodec, AcknowledgementsPingAndDisconnect) {
  EXPECT_EQ(encode_acknowledgement(PacketType::PubAck, 10), bytes({0x40, 0x02, 0x00, 0x0a}));
  EXPECT_EQ(encode_acknowledgement(PacketType::PubRec, 0x0102), bytes({0x50, 0x02, 0x01, 0x02}));
  EXPECT_EQ(encode_acknowledgement(PacketType::PubRel, 0xffff), bytes({0x62, 0x02, 0xff, 0xff}));
  EXPECT_EQ(encode_acknowledgement(PacketType::PubComp, 1), bytes({0x70, 0x02, 0x00, 0x01}));
  EXPECT_EQ(encode_pingreq(), bytes({0xc0, 0x00}));
  EXPECT_EQ(encode_disconnect(), bytes({0xe0, 0x00}));
}

TEST(MqttReader, ReadsAPacketFedOneByteAtATime) {
  PacketReader reader(1024);
  Bytes connack = bytes({0x20, 0x02, 0x01, 0x05});
  for (std::size_t i = 0; i + 1 < connack.size(); ++i) {
    auto result = reader.feed(std::span(&connack[i], 1));
    EXPECT_EQ(result.status, PacketReader::Status::NeedMore);
    EXPECT_EQ(result.used, 1u);
  }
  auto result = reader.feed(std::span(&connack.back(), 1));
  ASSERT_EQ(result.status, PacketReader::Status::Ready);
  auto parsed = parse_connack(reader.packet());
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->session_present);
  EXPECT_EQ(parsed->return_code, 5);
}

TEST(MqttReader, StopsAtEachPacketOfAConcatenatedStream) {
  PacketReader reader(1024);
  Bytes stream = bytes({0xd0, 0x00, 0x90, 0x03, 0x00, 0x05, 0x80, 0xb0, 0x02, 0x00, 0x07, 0x30});
  std::span<const std::uint8_t> rest(stream);

  auto result = reader.feed(rest);
  ASSERT_EQ(result.status, PacketReader::Status::Ready);
  EXPECT_EQ(result.used, 2u);
  EXPECT_EQ(reader.packet().type(), PacketType::PingResp);
  rest = rest.subspan(result.used);

  result = reader.feed(rest);
  ASSERT_EQ(result.status, PacketReader::Status::Ready);
  auto suback = parse_suback(reader.packet());
  ASSERT_TRUE(suback);
  EXPECT_EQ(suback->packet_id, 5);
  EXPECT_EQ(suback->return_codes, bytes({0x80}));
  rest = rest.subspan(result.used);

  result = reader.feed(rest);
  ASSERT_EQ(result.status, PacketReader::Status::Ready);
  EXPECT_EQ(parse_packet_id(reader.packet()), 7);
  rest = rest.subspan(result.used);

  result = reader.feed(rest);  // the start of a PUBLISH only
  EXPECT_EQ(result.status, PacketReader::Status::NeedMore);
  EXPECT_EQ(result.used, 1u);
}

TEST(MqttReader, ParsesPublishesAtEachQos) {
  PacketReader reader(1024);
  Bytes qos1 = encode_publish("a/b", text("hi"), 1, true, 10, true);
  ASSERT_EQ(reader.feed(qos1).status, PacketReader::Status::Ready);
  auto publish = parse_publish(reader.packet());
  ASSERT_TRUE(publish);
  EXPECT_EQ(publish->topic, "a/b");
  EXPECT_EQ(publish->payload, "hi");
  EXPECT_EQ(publish->qos, 1);
  EXPECT_TRUE(publish->retain);
  EXPECT_TRUE(publish->dup);
  EXPECT_EQ(publish->packet_id, 10);

  Bytes qos0 = encode_publish("t", text(std::string("\0\xff", 2)), 0, false, 0);
  ASSERT_EQ(reader.feed(qos0).status, PacketReader::Status::Ready);
  publish = parse_publish(reader.packet());
  ASSERT_TRUE(publish);
  EXPECT_EQ(publish->payload, std::string("\0\xff", 2));
  EXPECT_EQ(publish->packet_id, 0);
}

TEST(MqttReader, RejectsPublishesThatBreakTheProtocol) {
  PacketReader reader(1024);
  // QoS 3
  ASSERT_EQ(reader.feed(bytes({0x36, 0x05, 0x00, 0x01, 't', 0x00, 0x01})).status, PacketReader::Status::Ready);
  EXPECT_FALSE(parse_publish(reader.packet()));
  // topic length beyond the packet
  ASSERT_EQ(reader.feed(bytes({0x30, 0x03, 0x00, 0x09, 't'})).status, PacketReader::Status::Ready);
  EXPECT_FALSE(parse_publish(reader.packet()));
  // QoS 1 without room for the packet id
  ASSERT_EQ(reader.feed(bytes({0x32, 0x04, 0x00, 0x01, 't', 0x00})).status, PacketReader::Status::Ready);
  EXPECT_FALSE(parse_publish(reader.packet()));
  // body too short for a length at all
  ASSERT_EQ(reader.feed(bytes({0x30, 0x01, 0x00})).status, PacketReader::Status::Ready);
  EXPECT_FALSE(parse_publish(reader.packet()));
}

TEST(MqttReader, RejectsShortAcknowledgements) {
  PacketReader reader(1024);
  ASSERT_EQ(reader.feed(bytes({0x20, 0x01, 0x00})).status, PacketReader::Status::Ready);
  EXPECT_FALSE(parse_connack(reader.packet()));
  ASSERT_EQ(reader.feed(bytes({0x40, 0x01, 0x00})).status, PacketReader::Status::Ready);
  EXPECT_FALSE(parse_packet_id(reader.packet()));
  ASSERT_EQ(reader.feed(bytes({0x90, 0x02, 0x00, 0x01})).status, PacketReader::Status::Ready);
  EXPECT_FALSE(parse_suback(reader.packet()));
  EXPECT_FALSE(parse_packet_id(reader.packet()));  // SUBACK is not an id-only packet
}

TEST(MqttReader, Refuses256MiBFromTheHeaderWithoutBuffering) {
  PacketReader reader(32 * 1024);
  auto result = reader.feed(bytes({0x30, 0xff, 0xff, 0xff, 0x7f, 'x', 'x'}));
  EXPECT_EQ(result.status, PacketReader::Status::TooLarge);
  EXPECT_EQ(result.used, 5u);
  EXPECT_LT(reader.packet().body.capacity(), 32u * 1024);
  // Stays failed until reset, then reads a new stream.
  EXPECT_EQ(reader.feed(bytes({0xd0, 0x00})).status, PacketReader::Status::TooLarge);
  reader.reset();
  EXPECT_EQ(reader.feed(bytes({0xd0, 0x00})).status, PacketReader::Status::Ready);
}

TEST(MqttReader, APacketExactlyAtTheLimitPassesAndOneByteMoreDoesNot) {
  Bytes packet = encode_publish("t", text(std::string(100, 'p')), 0, false, 0);
  PacketReader exact(packet.size());
  EXPECT_EQ(exact.feed(packet).status, PacketReader::Status::Ready);
  PacketReader smaller(packet.size() - 1);
  EXPECT_EQ(smaller.feed(packet).status, PacketReader::Status::TooLarge);
}

TEST(MqttReader, RefusesAFifthRemainingLengthByte) {
  PacketReader reader(1024);
  auto result = reader.feed(bytes({0x30, 0x80, 0x80, 0x80, 0x80, 0x01}));
  EXPECT_EQ(result.status, PacketReader::Status::Malformed);
  EXPECT_EQ(result.used, 5u);
}

TEST(MqttReader, GarbageNeverGrowsTheBufferPastTheLimit) {
  PacketReader reader(256);
  std::uint32_t seed = 12345;
  Bytes garbage(4096);
  for (auto& byte : garbage) {
    seed = seed * 1103515245 + 12345;
    byte = static_cast<std::uint8_t>(seed >> 16);
  }
  std::span<const std::uint8_t> rest(garbage);
  while (!rest.empty()) {
    auto result = reader.feed(rest);
    EXPECT_LE(reader.packet().body.size(), 256u);
    if (result.status == PacketReader::Status::TooLarge || result.status == PacketReader::Status::Malformed) {
      reader.reset();
    }
    rest = rest.subspan(result.used == 0 ? 1 : result.used);
  }
}

}  // namespace
}  // namespace luatnet::proto::mqtt
