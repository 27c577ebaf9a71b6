// Protocol layer, websocket: what the URL given to websocket.create means. The firmware takes ws:// and
// wss:// (and text without a scheme as ws), host, optional port (default 80 or 443) and the path with its
// query; parse_url does the same but refuses what could not reach a server, instead of truncating it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace luatnet::proto::websocket {

struct Url {
  bool secure = false;  // wss://
  std::string host;     // a name or an IP literal (IPv6 without its brackets)
  std::uint16_t port = 0;
  std::string target;  // path and query, at least "/"
};

// nullopt for a scheme other than ws/wss, an empty host, user information, a port that is not 0..65535,
// or spaces and control characters anywhere.
std::optional<Url> parse_url(std::string_view text);

// The Host header's value: host:port, an IPv6 literal in brackets (the firmware always names the port).
std::string host_header(const Url& url);

}  // namespace luatnet::proto::websocket
