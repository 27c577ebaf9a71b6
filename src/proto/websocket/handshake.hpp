// Protocol layer, websocket: the HTTP upgrade of RFC 6455 on the client side. It writes the request as the
// firmware does (GET target, Host host:port, the script's extra headers, then Upgrade, Connection, key and
// version) with a fresh random key, and reads the server's answer with http_parser, bounded in size. Unlike
// the firmware, which only looks for "HTTP/1.1 101", it also checks Upgrade, Connection and that
// Sec-WebSocket-Accept is base64(SHA-1(key + the RFC's GUID)).
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/websocket/url.hpp"

namespace luatnet::proto::websocket {

// base64 of 16 random bytes.
std::string new_key();
// What the server must answer for `key`.
std::string accept_for(std::string_view key);

// The request bytes; `extra_headers` is empty or whole lines, each ending in CRLF.
std::string build_request(const Url& url, std::string_view key, std::string_view extra_headers);

// Extra header lines from name/value pairs as websocket.headers({...}) gives them ("name:value" each).
// nullopt when a name or value is empty, holds CR, LF or NUL, a pair is longer than 256 bytes or all of them
// longer than 1023 (the firmware's limits).
std::optional<std::string> header_lines(const std::vector<std::pair<std::string, std::string>>& headers);
// Extra header lines given as one string (websocket.headers("A: b\r\n")): at most 1023 bytes, no NUL and no
// empty line inside; a missing final CRLF is added.
std::optional<std::string> raw_header_lines(std::string_view text);

class HandshakeReader {
 public:
  static constexpr std::size_t kMaxResponse = 16 * 1024;

  explicit HandshakeReader(std::string key);
  HandshakeReader(const HandshakeReader&) = delete;
  HandshakeReader& operator=(const HandshakeReader&) = delete;

  enum class Status { Incomplete, Accepted, Rejected };
  // Reads more of the response. Accepted: its first `consumed` bytes ended the response; the rest are
  // WebSocket frames. Rejected: failure() says why.
  Status feed(std::span<const std::uint8_t> bytes, std::size_t& consumed);
  [[nodiscard]] const std::string& failure() const { return failure_; }

 private:
  static int on_header_field(http_parser* parser, const char* at, std::size_t length);
  static int on_header_value(http_parser* parser, const char* at, std::size_t length);
  static int on_headers_complete(http_parser* parser);
  void commit_header();
  Status reject(std::string reason);
  Status judge();

  std::string expected_accept_;
  http_parser parser_{};
  http_parser_settings settings_{};
  std::size_t total_ = 0;
  bool headers_done_ = false;
  bool in_value_ = false;
  std::string field_;
  std::string value_;
  std::string upgrade_;
  std::string connection_;
  std::optional<std::string> accept_;
  std::string failure_;
};

}  // namespace luatnet::proto::websocket
