#include "proto/mqtt/mqtt_codec.hpp"

#include <algorithm>
#include <stdexcept>

namespace luatnet::proto::mqtt {
namespace {

constexpr std::uint8_t kProtocolLevel = 4;  // 3.1.1
constexpr std::uint8_t kCleanSession = 0x02;
constexpr std::uint8_t kWillFlag = 0x04;
constexpr std::uint8_t kWillRetain = 0x20;
constexpr std::uint8_t kPasswordFlag = 0x40;
constexpr std::uint8_t kUserNameFlag = 0x80;
constexpr std::size_t kMaxLengthBytes = 4;

std::uint8_t first_byte(PacketType type, std::uint8_t flags = 0) {
  return static_cast<std::uint8_t>(static_cast<std::uint8_t>(type) << 4 | flags);
}

void put_u16(Bytes& out, std::size_t value) {
  out.push_back(static_cast<std::uint8_t>(value >> 8));
  out.push_back(static_cast<std::uint8_t>(value & 0xff));
}

void put_field(Bytes& out, std::string_view text) {
  if (text.size() > kMaxFieldLength) throw std::length_error("MQTT string field longer than 65535 bytes");
  put_u16(out, text.size());
  out.insert(out.end(), text.begin(), text.end());
}

// Prefixes `body` with the fixed header.
Bytes frame(std::uint8_t first, const Bytes& body) {
  if (body.size() > kMaxRemainingLength) throw std::length_error("MQTT packet larger than 256 MiB");
  Bytes packet{first};
  Bytes length = encode_remaining_length(body.size());
  packet.reserve(1 + length.size() + body.size());
  packet.insert(packet.end(), length.begin(), length.end());
  packet.insert(packet.end(), body.begin(), body.end());
  return packet;
}

std::uint16_t read_u16(const Bytes& body, std::size_t at) {
  return static_cast<std::uint16_t>(body[at] << 8 | body[at + 1]);
}

}  // namespace

Bytes encode_remaining_length(std::size_t length) {
  if (length > kMaxRemainingLength) throw std::length_error("MQTT packet larger than 256 MiB");
  Bytes out;
  do {
    auto digit = static_cast<std::uint8_t>(length % 128);
    length /= 128;
    if (length > 0) digit |= 0x80;
    out.push_back(digit);
  } while (length > 0);
  return out;
}

Bytes encode_connect(const ConnectFields& fields) {
  std::uint8_t flags = fields.clean_session ? kCleanSession : 0;
  if (!fields.username.empty()) flags |= kUserNameFlag;
  if (!fields.password.empty()) flags |= kPasswordFlag;
  if (fields.will) {
    flags |= kWillFlag | static_cast<std::uint8_t>((fields.will->qos & 0x03) << 3);
    if (fields.will->retain) flags |= kWillRetain;
  }
  Bytes body;
  put_field(body, "MQTT");
  body.push_back(kProtocolLevel);
  body.push_back(flags);
  put_u16(body, fields.keep_alive);
  put_field(body, fields.client_id);
  if (fields.will) {
    put_field(body, fields.will->topic);
    put_field(body, fields.will->payload);
  }
  if (!fields.username.empty()) put_field(body, fields.username);
  if (!fields.password.empty()) put_field(body, fields.password);
  return frame(first_byte(PacketType::Connect), body);
}

Bytes encode_publish(std::string_view topic, std::span<const std::uint8_t> payload, std::uint8_t qos, bool retain,
                     std::uint16_t packet_id, bool dup) {
  Bytes body;
  body.reserve(2 + topic.size() + 2 + payload.size());
  put_field(body, topic);
  if (qos > 0) put_u16(body, packet_id);
  body.insert(body.end(), payload.begin(), payload.end());
  auto flags = static_cast<std::uint8_t>((dup ? 0x08 : 0) | (qos & 0x03) << 1 | (retain ? 0x01 : 0));
  return frame(first_byte(PacketType::Publish, flags), body);
}

Bytes encode_subscribe(std::uint16_t packet_id, std::span<const Subscription> subscriptions) {
  Bytes body;
  put_u16(body, packet_id);
  for (const auto& subscription : subscriptions) {
    put_field(body, subscription.topic);
    body.push_back(subscription.qos & 0x03);
  }
  return frame(first_byte(PacketType::Subscribe, 0x02), body);
}

Bytes encode_unsubscribe(std::uint16_t packet_id, std::span<const std::string> topics) {
  Bytes body;
  put_u16(body, packet_id);
  for (const auto& topic : topics) put_field(body, topic);
  return frame(first_byte(PacketType::Unsubscribe, 0x02), body);
}

Bytes encode_acknowledgement(PacketType type, std::uint16_t packet_id) {
  std::uint8_t flags = type == PacketType::PubRel ? 0x02 : 0x00;
  return {first_byte(type, flags), 0x02, static_cast<std::uint8_t>(packet_id >> 8),
          static_cast<std::uint8_t>(packet_id & 0xff)};
}

Bytes encode_pingreq() { return {first_byte(PacketType::PingReq), 0x00}; }

Bytes encode_disconnect() { return {first_byte(PacketType::Disconnect), 0x00}; }

PacketReader::Result PacketReader::feed(std::span<const std::uint8_t> bytes) {
  std::size_t used = 0;
  if (stage_ == Stage::Failed) return {failure_, 0};
  if (stage_ == Stage::Done) stage_ = Stage::FirstByte;
  while (used < bytes.size()) {
    switch (stage_) {
      case Stage::FirstByte:
        packet_.first_byte = bytes[used++];
        packet_.body.clear();
        length_ = 0;
        length_bytes_ = 0;
        multiplier_ = 1;
        stage_ = Stage::Length;
        break;
      case Stage::Length: {
        std::uint8_t digit = bytes[used++];
        length_ += (digit & 0x7f) * multiplier_;
        multiplier_ *= 128;
        ++length_bytes_;
        if (digit & 0x80) {
          if (length_bytes_ == kMaxLengthBytes) {
            stage_ = Stage::Failed;
            failure_ = Status::Malformed;
            return {failure_, used};
          }
          break;
        }
        if (1 + length_bytes_ + length_ > max_packet_size_) {
          stage_ = Stage::Failed;
          failure_ = Status::TooLarge;
          return {failure_, used};
        }
        packet_.body.reserve(length_);
        stage_ = Stage::Body;
        if (length_ == 0) {
          stage_ = Stage::Done;
          return {Status::Ready, used};
        }
        break;
      }
      case Stage::Body: {
        std::size_t take = std::min(length_ - packet_.body.size(), bytes.size() - used);
        packet_.body.insert(packet_.body.end(), bytes.begin() + static_cast<std::ptrdiff_t>(used),
                            bytes.begin() + static_cast<std::ptrdiff_t>(used + take));
        used += take;
        if (packet_.body.size() == length_) {
          stage_ = Stage::Done;
          return {Status::Ready, used};
        }
        break;
      }
      case Stage::Done:
      case Stage::Failed:
        break;  // not reached: both return above
    }
  }
  return {Status::NeedMore, used};
}

void PacketReader::reset() {
  stage_ = Stage::FirstByte;
  packet_ = Packet{};
}

std::optional<ConnAck> parse_connack(const Packet& packet) {
  if (packet.type() != PacketType::ConnAck || packet.body.size() < 2) return std::nullopt;
  return ConnAck{.session_present = (packet.body[0] & 0x01) != 0, .return_code = packet.body[1]};
}

std::optional<Publish> parse_publish(const Packet& packet) {
  if (packet.type() != PacketType::Publish) return std::nullopt;
  Publish publish;
  publish.qos = (packet.flags() >> 1) & 0x03;
  publish.retain = (packet.flags() & 0x01) != 0;
  publish.dup = (packet.flags() & 0x08) != 0;
  const Bytes& body = packet.body;
  if (publish.qos == 3 || body.size() < 2) return std::nullopt;
  std::size_t topic_length = read_u16(body, 0);
  std::size_t payload_at = 2 + topic_length + (publish.qos > 0 ? 2 : 0);
  if (payload_at > body.size()) return std::nullopt;
  publish.topic.assign(body.begin() + 2, body.begin() + static_cast<std::ptrdiff_t>(2 + topic_length));
  if (publish.qos > 0) publish.packet_id = read_u16(body, 2 + topic_length);
  publish.payload.assign(body.begin() + static_cast<std::ptrdiff_t>(payload_at), body.end());
  return publish;
}

std::optional<std::uint16_t> parse_packet_id(const Packet& packet) {
  switch (packet.type()) {
    case PacketType::PubAck:
    case PacketType::PubRec:
    case PacketType::PubRel:
    case PacketType::PubComp:
    case PacketType::UnsubAck:
      if (packet.body.size() < 2) return std::nullopt;
      return read_u16(packet.body, 0);
    default:
      return std::nullopt;
  }
}

std::optional<SubAck> parse_suback(const Packet& packet) {
  if (packet.type() != PacketType::SubAck || packet.body.size() < 3) return std::nullopt;
  return SubAck{.packet_id = read_u16(packet.body, 0),
                .return_codes = std::vector<std::uint8_t>(packet.body.begin() + 2, packet.body.end())};
}

}  // namespace luatnet::proto::mqtt
