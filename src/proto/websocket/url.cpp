#include "proto/websocket/url.hpp"

#include <algorithm>
#include <cctype>

namespace luatnet::proto::websocket {
namespace {

constexpr std::size_t kMaxHost = 253;  // the longest DNS name

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), text.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// "" means the scheme's default; digits only, at most 65535.
std::optional<std::uint16_t> parse_port(std::string_view digits) {
  if (digits.empty()) return 0;
  if (digits.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

std::optional<Url> parse_url(std::string_view text) {
  if (std::any_of(text.begin(), text.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; })) {
    return std::nullopt;
  }
  Url url;
  if (starts_with_nocase(text, "wss://")) {
    url.secure = true;
    text.remove_prefix(6);
  } else if (starts_with_nocase(text, "ws://")) {
    text.remove_prefix(5);
  } else if (text.find("://") != std::string_view::npos) {
    return std::nullopt;
  }
  std::size_t authority_end = std::min(text.find_first_of("/?#"), text.size());
  std::string_view authority = text.substr(0, authority_end);
  std::string_view rest = text.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view host = authority;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
    }
  } else if (std::size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  auto port = parse_port(port_text);
  if (host.empty() || host.size() > kMaxHost || !port) return std::nullopt;
  url.host = std::string(host);
  url.port = *port != 0 ? *port : (url.secure ? 443 : 80);

  rest = rest.substr(0, std::min(rest.find('#'), rest.size()));  // a fragment is never sent
  url.target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest) : std::string(rest);
  return url;
}

std::string host_header(const Url& url) {
  bool ipv6 = url.host.find(':') != std::string::npos;
  return (ipv6 ? "[" + url.host + "]" : url.host) + ":" + std::to_string(url.port);
}

}  // namespace luatnet::proto::websocket
