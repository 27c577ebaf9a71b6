#include "proto/websocket/handshake.hpp"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/sha1.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "common/encoding.hpp"
#include "tls/tls_context.hpp"

namespace luatnet::proto::websocket {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::size_t kMaxHeaderPair = 256;
constexpr std::size_t kMaxExtraHeaders = 1023;

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Connection may list several tokens ("keep-alive, Upgrade").
bool has_token(std::string_view list, std::string_view token) {
  std::string lowered = lower(list);
  std::string_view rest = lowered;
  while (!rest.empty()) {
    std::size_t comma = std::min(rest.find(','), rest.size());
    if (trim(rest.substr(0, comma)) == token) return true;
    rest.remove_prefix(std::min(comma + 1, rest.size()));
  }
  return false;
}

bool clean_header_text(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace

std::string new_key() {
  std::array<std::uint8_t, 16> nonce{};
  if (mbedtls_ctr_drbg_random(tls::random_generator(), nonce.data(), nonce.size()) != 0) {
    throw std::runtime_error("websocket: no random bytes for the handshake key");
  }
  return base64_encode(nonce);
}

std::string accept_for(std::string_view key) {
  std::string joined = std::string(key) + std::string(kGuid);
  std::array<std::uint8_t, 20> digest{};
  mbedtls_sha1_ret(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest.data());
  return base64_encode(digest);
}

std::string build_request(const Url& url, std::string_view key, std::string_view extra_headers) {
  std::string request = "GET " + url.target + " HTTP/1.1\r\nHost: " + host_header(url) + "\r\n";
  request += extra_headers;
  request += "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
  request += key;
  request += "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  return request;
}

std::optional<std::string> header_lines(const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string lines;
  for (const auto& [name, value] : headers) {
    if (name.empty() || value.empty() || name.size() + value.size() > kMaxHeaderPair) return std::nullopt;
    if (!clean_header_text(name) || !clean_header_text(value) || name.find(':') != std::string::npos) {
      return std::nullopt;
    }
    lines += name + ":" + value + "\r\n";
  }
  if (lines.size() > kMaxExtraHeaders) return std::nullopt;
  return lines;
}

std::optional<std::string> raw_header_lines(std::string_view text) {
  if (text.size() > kMaxExtraHeaders || text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string lines(text);
  if (!lines.empty() && !lines.ends_with("\r\n")) lines += "\r\n";
  if (lines.starts_with("\r\n") || lines.find("\r\n\r\n") != std::string::npos) return std::nullopt;
  return lines;
}

HandshakeReader::HandshakeReader(std::string key) : expected_accept_(accept_for(key)) {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_header_field = &HandshakeReader::on_header_field;
  settings_.on_header_value = &HandshakeReader::on_header_value;
  settings_.on_headers_complete = &HandshakeReader::on_headers_complete;
}

int HandshakeReader::on_header_field(http_parser* parser, const char* at, std::size_t length) {
  auto* self = static_cast<HandshakeReader*>(parser->data);
  if (self->in_value_) self->commit_header();
  self->field_.append(at, length);
  return 0;
}

int HandshakeReader::on_header_value(http_parser* parser, const char* at, std::size_t length) {
  auto* self = static_cast<HandshakeReader*>(parser->data);
  self->in_value_ = true;
  self->value_.append(at, length);
  return 0;
}

int HandshakeReader::on_headers_complete(http_parser* parser) {
  auto* self = static_cast<HandshakeReader*>(parser->data);
  if (self->in_value_) self->commit_header();
  self->headers_done_ = true;
  return 1;  // no body: with an upgrade the parser stops right after the headers
}

void HandshakeReader::commit_header() {
  std::string name = lower(field_);
  if (name == "upgrade") upgrade_ = trim(value_);
  if (name == "connection") connection_ += std::string(value_) + ",";
  if (name == "sec-websocket-accept") accept_ = trim(value_);
  field_.clear();
  value_.clear();
  in_value_ = false;
}

HandshakeReader::Status HandshakeReader::reject(std::string reason) {
  failure_ = std::move(reason);
  return Status::Rejected;
}

HandshakeReader::Status HandshakeReader::feed(std::span<const std::uint8_t> bytes, std::size_t& consumed) {
  consumed = 0;
  if (!failure_.empty()) return Status::Rejected;
  std::size_t parsed =
      http_parser_execute(&parser_, &settings_, reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (headers_done_) {
    consumed = parsed;
    return judge();
  }
  if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK) {
    return reject(std::string("malformed upgrade response (") + http_errno_description(HTTP_PARSER_ERRNO(&parser_)) +
                  ")");
  }
  total_ += bytes.size();
  if (total_ > kMaxResponse) return reject("upgrade response headers longer than 16 KiB");
  return Status::Incomplete;
}

HandshakeReader::Status HandshakeReader::judge() {
  if (parser_.status_code != 101) return reject("server answered " + std::to_string(parser_.status_code) + ", not 101");
  if (lower(upgrade_) != "websocket") return reject("upgrade response without Upgrade: websocket");
  if (!has_token(connection_, "upgrade")) return reject("upgrade response without Connection: Upgrade");
  if (accept_ != expected_accept_) return reject("wrong Sec-WebSocket-Accept");
  if (parser_.upgrade == 0) return reject("upgrade response not understood");
  return Status::Accepted;
}

}  // namespace luatnet::proto::websocket
