#include "proto/http/http_response.hpp"

#include <algorithm>
#include <climits>

namespace luatnet::proto::http {
namespace {

ResponseParser& self(http_parser* parser) { return *static_cast<ResponseParser*>(parser->data); }

}  // namespace

ResponseParser::ResponseParser(std::size_t head_limit, Handlers handlers)
    : head_limit_(head_limit), handlers_(std::move(handlers)) {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_header_field = on_header_field;
  settings_.on_header_value = on_header_value;
  settings_.on_headers_complete = on_headers_complete;
  settings_.on_body = on_body;
  settings_.on_message_complete = on_message_complete;
}

ResponseParser::Progress ResponseParser::feed(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty() && !complete_) {
    // While the head is incomplete the parser sees no more than the head may still take, so a head over
    // the limit is caught however the bytes arrive.
    std::size_t take = head_done_ ? bytes.size() : std::min(bytes.size(), head_limit_ - head_bytes_);
    std::size_t parsed = http_parser_execute(&parser_, &settings_, reinterpret_cast<const char*>(bytes.data()), take);
    if (!head_done_) head_bytes_ += parsed;
    if (complete_) break;
    if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) return head_done_ ? Progress::BadBody : Progress::BadHead;
    if (!head_done_ && head_bytes_ >= head_limit_) return Progress::HeadTooLarge;
    bytes = bytes.subspan(parsed);
  }
  return complete_ ? Progress::Complete : Progress::More;
}

ResponseParser::Progress ResponseParser::end_of_stream() {
  if (complete_) return Progress::Complete;
  if (!head_done_) return Progress::BadHead;
  http_parser_execute(&parser_, &settings_, nullptr, 0);
  return complete_ ? Progress::Complete : Progress::BadBody;
}

int ResponseParser::on_header_field(http_parser* parser, const char* at, std::size_t length) {
  auto& response = self(parser);
  if (response.in_value_ || response.headers_.empty()) response.headers_.emplace_back();
  response.in_value_ = false;
  response.headers_.back().first.append(at, length);
  return 0;
}

int ResponseParser::on_header_value(http_parser* parser, const char* at, std::size_t length) {
  auto& response = self(parser);
  response.in_value_ = true;
  response.headers_.back().second.append(at, length);
  return 0;
}

int ResponseParser::on_headers_complete(http_parser* parser) {
  auto& response = self(parser);
  response.head_done_ = true;
  bool sized = (parser->flags & F_CHUNKED) == 0 && parser->content_length != ULLONG_MAX;
  if (sized) response.announced_length_ = parser->content_length;
  if (response.handlers_.head_done) response.handlers_.head_done();
  return 0;
}

int ResponseParser::on_body(http_parser* parser, const char* at, std::size_t length) {
  auto& response = self(parser);
  bool kept =
      !response.handlers_.body || response.handlers_.body(std::span(reinterpret_cast<const std::uint8_t*>(at), length));
  return kept ? 0 : -1;
}

int ResponseParser::on_message_complete(http_parser* parser) {
  self(parser).complete_ = true;
  http_parser_pause(parser, 1);  // one response per request: whatever follows is not read
  return 0;
}

}  // namespace luatnet::proto::http
