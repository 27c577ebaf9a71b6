// The SNTP packet codec: requests as a client sends them, timestamps across the 1970 and 2036 boundaries,
// and the verdicts on replies (valid, kiss-o'-death, malformed in each way a reply can be).
#include "proto/sntp/sntp_packet.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace luatnet::proto::sntp {
namespace {

// A server reply (version 4, mode 4) with the given fields.
std::vector<std::uint8_t> reply(int leap, int mode, int stratum, std::uint64_t originate, std::uint64_t receive,
                                std::uint64_t transmit) {
  std::vector<std::uint8_t> bytes(kPacketSize, 0);
  bytes[0] = static_cast<std::uint8_t>((leap << 6) | (4 << 3) | mode);
  bytes[1] = static_cast<std::uint8_t>(stratum);
  auto put = [&](std::size_t offset, std::uint64_t value) {
    for (std::size_t i = 0; i < 8; ++i) bytes[offset + i] = static_cast<std::uint8_t>(value >> (8 * (7 - i)));
  };
  put(24, originate);
  put(32, receive);
  put(40, transmit);
  return bytes;
}

TEST(SntpPacket, RequestWithoutTimeIsTheBareClientHeader) {
  Packet request = make_request(std::nullopt);
  EXPECT_EQ(request[0], 0x1B);  // leap 0, version 3, mode 3 (client)
  for (std::size_t i = 1; i < kPacketSize; ++i) EXPECT_EQ(request[i], 0) << "byte " << i;
}

TEST(SntpPacket, RequestCarriesItsTransmitTime) {
  Packet request = make_request(1700000000123);
  std::uint64_t transmit = 0;
  for (std::size_t i = 40; i < 48; ++i) transmit = (transmit << 8) | request[i];
  EXPECT_EQ(transmit >> 32, 1700000000ULL + 2208988800ULL);
  EXPECT_EQ(from_ntp(transmit), 1700000000123);
}

TEST(SntpPacket, TimestampsRoundTripAcrossEras) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{999}, std::int64_t{1700000000500}, std::int64_t{2085978495999},
                          std::int64_t{2085978496000}, std::int64_t{2200000000001}}) {
    EXPECT_EQ(from_ntp(to_ntp(ms)), ms) << ms;
  }
  // 2036-02-07 06:28:16 UTC is era 1's second 0.
  EXPECT_EQ(to_ntp(2085978496000) >> 32, 0U);
  EXPECT_EQ(from_ntp(std::uint64_t{1} << 63), 1000 * ((std::int64_t{1} << 31) + 2085978496));
  // Half a second is 2^31 in the fraction.
  EXPECT_EQ(from_ntp((std::uint64_t{3900000000} << 32) | 0x80000000ULL) % 1000, 500);
}

TEST(SntpPacket, ValidReplyGivesItsTimes) {
  auto bytes = reply(0, 4, 2, to_ntp(1000), to_ntp(5000), to_ntp(1700000000250));
  Parsed parsed = parse_reply(bytes);
  ASSERT_EQ(parsed.verdict, Verdict::Valid);
  EXPECT_EQ(parsed.reply.stratum, 2);
  ASSERT_TRUE(parsed.reply.originate_ms.has_value());
  EXPECT_EQ(*parsed.reply.originate_ms, 1000);
  EXPECT_EQ(parsed.reply.receive_ms, 5000);
  EXPECT_EQ(parsed.reply.transmit_ms, 1700000000250);
}

TEST(SntpPacket, ZeroOriginateMeansTheRequestCarriedNoTime) {
  Parsed parsed = parse_reply(reply(0, 4, 1, 0, to_ntp(5000), to_ntp(6000)));
  EXPECT_EQ(parsed.verdict, Verdict::Valid);
  EXPECT_FALSE(parsed.reply.originate_ms.has_value());
}

TEST(SntpPacket, KissOfDeathIsToldApart) {
  auto bytes = reply(3, 4, 0, 0, 0, 0);
  bytes[12] = 'R';
  bytes[13] = 'A';
  bytes[14] = 'T';
  bytes[15] = 'E';
  Parsed parsed = parse_reply(bytes);
  EXPECT_EQ(parsed.verdict, Verdict::KissOfDeath);
  EXPECT_EQ(parsed.reply.reference_id, "RATE");
}

TEST(SntpPacket, UnusableRepliesAreMalformed) {
  auto good = reply(0, 4, 2, 0, to_ntp(5000), to_ntp(6000));
  EXPECT_EQ(parse_reply(std::span(good).first(47)).verdict, Verdict::Malformed);  // short
  EXPECT_EQ(parse_reply(std::span<const std::uint8_t>()).verdict, Verdict::Malformed);
  EXPECT_EQ(parse_reply(reply(0, 3, 2, 0, 0, to_ntp(6000))).verdict, Verdict::Malformed);   // a client's packet
  EXPECT_EQ(parse_reply(reply(3, 4, 2, 0, 0, to_ntp(6000))).verdict, Verdict::Malformed);   // unsynchronised
  EXPECT_EQ(parse_reply(reply(0, 4, 16, 0, 0, to_ntp(6000))).verdict, Verdict::Malformed);  // stratum too high
  EXPECT_EQ(parse_reply(reply(0, 4, 2, 0, 0, 0)).verdict, Verdict::Malformed);              // no transmit time
  // A longer datagram (extension fields, a MAC) is read by its header.
  good.resize(68, 0xAA);
  EXPECT_EQ(parse_reply(good).verdict, Verdict::Valid);
}

}  // namespace
}  // namespace luatnet::proto::sntp
