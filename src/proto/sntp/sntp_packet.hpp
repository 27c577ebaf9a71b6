// Protocol layer, SNTP: the 48-byte NTP packet as a client needs it (RFC 4330), with times as Unix
// milliseconds. Requests carry the client's own time when it has one (so the server echoes it back as the
// originate time). Replies are judged before use: a kiss-o'-death (stratum 0) and anything that cannot be
// a server's time (short, wrong mode, unsynchronised, no transmit time) are told apart from a valid one.
// NTP seconds wrap in 2036; like the firmware, small values are read as the next era. No I/O here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace luatnet::proto::sntp {

inline constexpr std::size_t kPacketSize = 48;
inline constexpr std::uint16_t kDefaultPort = 123;

using Packet = std::array<std::uint8_t, kPacketSize>;

// A client request (version 3, mode 3); `transmit_unix_ms` fills the transmit timestamp when known.
Packet make_request(std::optional<std::int64_t> transmit_unix_ms);

struct Reply {
  int leap = 0;
  int version = 0;
  int mode = 0;
  int stratum = 0;
  std::string reference_id;                  // four characters; the kiss code when stratum is 0
  std::optional<std::int64_t> originate_ms;  // absent when the field is zero (the request carried no time)
  std::int64_t receive_ms = 0;
  std::int64_t transmit_ms = 0;
};

enum class Verdict {
  Valid,
  KissOfDeath,  // the server refuses to serve us (stratum 0): ask another
  Malformed,    // not a usable server reply: ignore it
};

struct Parsed {
  Verdict verdict = Verdict::Malformed;
  Reply reply;
};

Parsed parse_reply(std::span<const std::uint8_t> datagram);

// The 64-bit NTP timestamp for a Unix time, and back (era rule as above). Exposed for the tests.
std::uint64_t to_ntp(std::int64_t unix_ms);
std::int64_t from_ntp(std::uint64_t ntp);

}  // namespace luatnet::proto::sntp
