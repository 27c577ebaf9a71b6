// Protocol layer, FTP: what the client reads on the control connection (RFC 959). ReplyReader cuts the
// byte stream into replies, single-line ("200 text") or multi-line ("211-first" ... "211 last"), and
// refuses a stream that is not FTP or grows without end. parse_passive reads the data address of a
// "227" reply; parse_size the byte count of a "213" reply to SIZE. No I/O here.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace luatnet::proto::ftp {

struct Reply {
  int code = 0;      // 100..599
  std::string text;  // the whole reply as the server sent it, every line ending in CRLF
  [[nodiscard]] bool preliminary() const { return code < 200; }
  [[nodiscard]] bool positive() const { return code >= 200 && code < 300; }
};

class ReplyReader {
 public:
  static constexpr std::size_t kMaxLine = 4096;
  static constexpr std::size_t kMaxReply = 64 * 1024;

  // Takes bytes from the control connection; false (for good) once the stream is not FTP replies.
  bool feed(std::span<const std::uint8_t> bytes);
  // The oldest complete reply not taken yet.
  std::optional<Reply> next();

 private:
  bool take_line(std::string_view line);

  std::string partial_line_;
  std::optional<Reply> open_reply_;  // a multi-line reply still waiting for its last line
  std::deque<Reply> ready_;
  bool broken_ = false;
};

struct PassiveAddress {
  std::string host;  // dotted IPv4
  std::uint16_t port = 0;
};

// The address in "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)" (parentheses optional).
std::optional<PassiveAddress> parse_passive(const Reply& reply);
// Whether the firmware would rather use the control connection's host than this passive address
// (servers behind NAT announce private or unusable addresses).
bool unroutable_passive_host(std::string_view host);
// The size in "213 <bytes>".
std::optional<std::uint64_t> parse_size(const Reply& reply);

}  // namespace luatnet::proto::ftp
