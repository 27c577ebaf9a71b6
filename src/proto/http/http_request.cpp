#include "proto/http/http_request.hpp"

#include <strings.h>

#include <algorithm>
#include <array>
#include <charconv>

#include "common/encoding.hpp"

namespace luatnet::proto::http {
namespace {

constexpr std::size_t kMinAfterScheme = 5;  // the firmware refuses shorter URLs ("http://a.b")
constexpr std::size_t kMaxHost = 255;

bool has_unsafe_character(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

// "" and "0" mean the scheme's port, as on the firmware.
std::optional<std::uint16_t> parse_port(std::string_view text, std::uint16_t fallback) {
  if (text.empty()) return fallback;
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > 65535) return std::nullopt;
  return value == 0 ? fallback : static_cast<std::uint16_t>(value);
}

bool is_literal_ipv6(std::string_view host) { return host.find(':') != std::string_view::npos; }

}  // namespace

std::optional<Target> parse_url(std::string_view url) {
  Target target;
  if (url.starts_with("https://")) {
    target.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  if (url.size() < kMinAfterScheme || has_unsafe_character(url)) return std::nullopt;
  std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  target.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (authority.size() > kMaxHost) return std::nullopt;
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos && at > 0) {
    target.userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }
  std::uint16_t default_port = target.tls ? 443 : 80;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return std::nullopt;
    if (!rest.empty()) port_text = rest.substr(1);
    authority = authority.substr(1, close - 1);
  } else if (std::size_t colon = authority.find(':', 1); colon != std::string_view::npos) {
    port_text = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
  }
  auto port = parse_port(port_text, default_port);
  if (authority.empty() || !port) return std::nullopt;
  target.host = authority;
  target.port = *port;
  return target;
}

bool method_supported(std::string_view method) {
  constexpr std::array<std::string_view, 5> kMethods{"GET", "POST", "PUT", "DELETE", "PATCH"};
  return std::find(kMethods.begin(), kMethods.end(), method) != kMethods.end();
}

std::string serialize_head(const Request& request) {
  bool custom_host = false;
  bool custom_connection = false;
  for (const auto& [name, value] : request.headers) {
    custom_host = custom_host || name == "Host" || name == "host";
    custom_connection = custom_connection || strncasecmp(name.c_str(), "Connection", 10) == 0;
  }
  const Target& target = request.target;
  std::string head = request.method + " " + target.path + " HTTP/1.1\r\n";
  if (!custom_connection) head += "Connection: Close\r\n";
  if (!custom_host) {
    std::string host = is_literal_ipv6(target.host) ? "[" + target.host + "]" : target.host;
    head += "Host: " + host + ":" + std::to_string(target.port) + "\r\n";
  }
  if (!target.userinfo.empty()) head += "Authorization: Basic " + base64_encode(as_bytes(target.userinfo)) + "\r\n";
  for (const auto& [name, value] : request.headers) {
    // The firmware computes Content-Length itself and ignores the script's.
    if (name.empty() || value.empty() || name == "Content-Length") continue;
    head += name + ": " + value + "\r\n";
  }
  if (request.body) head += "Content-Length: " + std::to_string(request.body->size()) + "\r\n";
  head += "\r\n";
  return head;
}

}  // namespace luatnet::proto::http
