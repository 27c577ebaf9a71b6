// Protocol layer, MQTT: the MQTT 3.1.1 packet codec, sans-I/O. Encoders build the packets a client sends
// (CONNECT, PUBLISH, SUBSCRIBE, UNSUBSCRIBE, the four publish acknowledgements, PINGREQ, DISCONNECT) as
// byte vectors; PacketReader cuts a byte stream into whole packets, holding at most one packet of a bounded
// size, and the parse functions read the packets a broker sends. It knows nothing of sockets or Lua.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace luatnet::proto::mqtt {

enum class PacketType : std::uint8_t {
  Connect = 1,
  ConnAck = 2,
  Publish = 3,
  PubAck = 4,
  PubRec = 5,
  PubRel = 6,
  PubComp = 7,
  Subscribe = 8,
  SubAck = 9,
  Unsubscribe = 10,
  UnsubAck = 11,
  PingReq = 12,
  PingResp = 13,
  Disconnect = 14,
};

// The largest value the four-byte remaining length can hold.
constexpr std::size_t kMaxRemainingLength = 268'435'455;
// Strings and binary fields carry a two-byte length.
constexpr std::size_t kMaxFieldLength = 65'535;

using Bytes = std::vector<std::uint8_t>;

struct Will {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
};

struct ConnectFields {
  std::string client_id;
  std::string username;  // empty: no user name flag
  std::string password;  // empty: no password flag
  bool clean_session = true;
  std::uint16_t keep_alive = 0;  // seconds
  std::optional<Will> will;
};

struct Subscription {
  std::string topic;
  std::uint8_t qos = 0;
};

// Every encoder throws std::length_error when a field or the packet does not fit the protocol's lengths.
Bytes encode_connect(const ConnectFields& fields);
Bytes encode_publish(std::string_view topic, std::span<const std::uint8_t> payload, std::uint8_t qos, bool retain,
                     std::uint16_t packet_id, bool dup = false);
Bytes encode_subscribe(std::uint16_t packet_id, std::span<const Subscription> subscriptions);
Bytes encode_unsubscribe(std::uint16_t packet_id, std::span<const std::string> topics);
// PUBACK, PUBREC, PUBREL (whose fixed header carries the required 0b0010 flags) or PUBCOMP.
Bytes encode_acknowledgement(PacketType type, std::uint16_t packet_id);
Bytes encode_pingreq();
Bytes encode_disconnect();
// The remaining length field alone (1 to 4 bytes).
Bytes encode_remaining_length(std::size_t length);

struct Packet {
  std::uint8_t first_byte = 0;  // type in the high nibble, flags in the low one
  Bytes body;                   // everything after the remaining length
  [[nodiscard]] PacketType type() const { return static_cast<PacketType>(first_byte >> 4); }
  [[nodiscard]] std::uint8_t flags() const { return first_byte & 0x0f; }
};

// Cuts a stream into packets. feed() takes bytes up to the end of one packet and says how many it used;
// the caller feeds the rest after handling the packet. Memory stays within max_packet_size: a packet
// announced larger is refused from its header, before any of its body is kept.
class PacketReader {
 public:
  enum class Status {
    NeedMore,   // every byte was used; the packet is not complete yet
    Ready,      // packet() holds a whole packet
    TooLarge,   // the announced packet exceeds max_packet_size
    Malformed,  // the remaining length runs past four bytes
  };
  struct Result {
    Status status;
    std::size_t used;
  };

  explicit PacketReader(std::size_t max_packet_size) : max_packet_size_(max_packet_size) {}
  Result feed(std::span<const std::uint8_t> bytes);
  [[nodiscard]] const Packet& packet() const { return packet_; }
  // Forgets a partial packet (a new connection starts a new stream). A failed reader stays failed until then.
  void reset();

 private:
  enum class Stage { FirstByte, Length, Body, Done, Failed };
  std::size_t max_packet_size_;
  Stage stage_ = Stage::FirstByte;
  Status failure_ = Status::Malformed;
  std::size_t length_ = 0;
  std::size_t length_bytes_ = 0;
  std::size_t multiplier_ = 1;
  Packet packet_;
};

struct ConnAck {
  bool session_present = false;
  std::uint8_t return_code = 0;
};

struct Publish {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // 0 for QoS 0
};

struct SubAck {
  std::uint16_t packet_id = 0;
  std::vector<std::uint8_t> return_codes;
};

// nullopt when the packet is of another type or its body is too short for what it must hold.
std::optional<ConnAck> parse_connack(const Packet& packet);
// Also nullopt for QoS 3 (both QoS bits set), which 3.1.1 forbids.
std::optional<Publish> parse_publish(const Packet& packet);
// PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: the packet identifier.
std::optional<std::uint16_t> parse_packet_id(const Packet& packet);
std::optional<SubAck> parse_suback(const Packet& packet);

}  // namespace luatnet::proto::mqtt
