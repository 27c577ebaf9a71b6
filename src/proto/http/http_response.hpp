// Protocol layer, http: reading one response, without I/O, on Debian's http_parser. It gathers the status
// and headers (names as sent, in order), hands body bytes on as they arrive (chunked bodies already
// de-chunked), and says when the message is complete, including a body that ends with the connection.
// The head may take at most `head_limit` bytes, as the firmware's 8 KiB receive buffer allows.
#pragma once

#include <http_parser.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "proto/http/http_request.hpp"

namespace luatnet::proto::http {

class ResponseParser {
 public:
  enum class Progress { More, Complete, BadHead, BadBody, HeadTooLarge };
  struct Handlers {
    std::function<void()> head_done;
    // Returns false to stop reading (the body cannot be kept); feed() then answers BadBody.
    std::function<bool(std::span<const std::uint8_t>)> body;
  };

  ResponseParser(std::size_t head_limit, Handlers handlers);
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  Progress feed(std::span<const std::uint8_t> bytes);
  // The connection ended: completes a body that runs to the end of the stream; anything else unfinished
  // is not complete.
  Progress end_of_stream();

  [[nodiscard]] bool head_done() const { return head_done_; }
  [[nodiscard]] int status() const { return static_cast<int>(parser_.status_code); }
  [[nodiscard]] const HeaderList& headers() const { return headers_; }
  // The Content-Length the server announced; 0 when it sent none (chunked, or a body up to the close).
  [[nodiscard]] std::uint64_t announced_length() const { return announced_length_; }

 private:
  static int on_header_field(http_parser* parser, const char* at, std::size_t length);
  static int on_header_value(http_parser* parser, const char* at, std::size_t length);
  static int on_headers_complete(http_parser* parser);
  static int on_body(http_parser* parser, const char* at, std::size_t length);
  static int on_message_complete(http_parser* parser);

  http_parser parser_{};
  http_parser_settings settings_{};
  std::size_t head_limit_;
  std::size_t head_bytes_ = 0;
  Handlers handlers_;
  HeaderList headers_;
  bool in_value_ = false;
  bool head_done_ = false;
  bool complete_ = false;
  std::uint64_t announced_length_ = 0;
};

}  // namespace luatnet::proto::http
