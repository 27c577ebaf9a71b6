#include "proto/sntp/sntp_packet.hpp"

namespace luatnet::proto::sntp {
namespace {

// Seconds from 1900-01-01 (the NTP epoch) to 1970-01-01.
constexpr std::uint64_t kNtpToUnix = 2208988800ULL;
constexpr std::uint64_t kEra = 1ULL << 32;
constexpr int kModeClient = 3;
constexpr int kModeServer = 4;
constexpr int kVersion = 3;
constexpr int kLeapUnsynchronised = 3;
constexpr int kMaxStratum = 15;
constexpr std::size_t kOriginateOffset = 24;
constexpr std::size_t kReceiveOffset = 32;
constexpr std::size_t kTransmitOffset = 40;

std::uint64_t read64(std::span<const std::uint8_t> bytes, std::size_t offset) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | bytes[offset + i];
  return value;
}

void write64(Packet& packet, std::size_t offset, std::uint64_t value) {
  for (std::size_t i = 0; i < 8; ++i) packet[offset + i] = static_cast<std::uint8_t>(value >> (8 * (7 - i)));
}

}  // namespace

std::uint64_t to_ntp(std::int64_t unix_ms) {
  if (unix_ms < 0) unix_ms = 0;  // a device clock before 1970 is not a time worth sending
  auto seconds = static_cast<std::uint64_t>(unix_ms / 1000) + kNtpToUnix;
  auto ms = static_cast<std::uint64_t>(unix_ms % 1000);
  std::uint64_t fraction = ((ms << 32) + 999) / 1000;  // rounded up, so reading it back gives `ms`
  return ((seconds % kEra) << 32) | fraction;
}

std::int64_t from_ntp(std::uint64_t ntp) {
  std::uint64_t seconds = ntp >> 32;
  std::uint64_t fraction = ntp & 0xFFFFFFFFULL;
  // Era 0 ends in February 2036; a seconds field below the 1970 mark is read as era 1.
  std::uint64_t unix_seconds = seconds >= kNtpToUnix ? seconds - kNtpToUnix : seconds + kEra - kNtpToUnix;
  return static_cast<std::int64_t>(unix_seconds * 1000 + ((fraction * 1000) >> 32));
}

Packet make_request(std::optional<std::int64_t> transmit_unix_ms) {
  Packet packet{};
  packet[0] = static_cast<std::uint8_t>((kVersion << 3) | kModeClient);
  if (transmit_unix_ms) write64(packet, kTransmitOffset, to_ntp(*transmit_unix_ms));
  return packet;
}

Parsed parse_reply(std::span<const std::uint8_t> datagram) {
  Parsed parsed;
  if (datagram.size() < kPacketSize) return parsed;
  Reply& reply = parsed.reply;
  reply.leap = datagram[0] >> 6;
  reply.version = (datagram[0] >> 3) & 0x7;
  reply.mode = datagram[0] & 0x7;
  reply.stratum = datagram[1];
  for (std::size_t i = 12; i < 16; ++i) {
    reply.reference_id.push_back(datagram[i] >= 0x20 && datagram[i] < 0x7F ? static_cast<char>(datagram[i]) : '.');
  }
  std::uint64_t originate = read64(datagram, kOriginateOffset);
  std::uint64_t transmit = read64(datagram, kTransmitOffset);
  if (originate != 0) reply.originate_ms = from_ntp(originate);
  reply.receive_ms = from_ntp(read64(datagram, kReceiveOffset));
  reply.transmit_ms = from_ntp(transmit);
  if (reply.mode != kModeServer) return parsed;
  if (reply.stratum == 0) {
    parsed.verdict = Verdict::KissOfDeath;
    return parsed;
  }
  if (reply.stratum > kMaxStratum || reply.leap == kLeapUnsynchronised || transmit == 0) return parsed;
  parsed.verdict = Verdict::Valid;
  return parsed;
}

}  // namespace luatnet::proto::sntp
