// Protocol layer, http: what leaves the device for one request, without I/O. It takes a URL apart as the
// firmware's http client does (scheme, optional user:password@, host or [IPv6], port, path) and writes the
// request head in the firmware's order and spelling: request line, "Connection: Close" unless the script
// set Connection, "Host: host:port" unless it set Host, Basic authorization from the URL, the script's
// headers, then Content-Length when a body goes out.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace luatnet::proto::http {

struct Target {
  bool tls = false;
  std::string host;  // name or IP literal, without brackets
  std::uint16_t port = 0;
  std::string path;      // from the first '/' after the host, query included; "/" when absent
  std::string userinfo;  // "user:password" before '@', empty when none
};

// nullopt for what the firmware refuses (no http:// or https://, too short, no host, host over 255
// characters) and for what it would send garbled (spaces or control characters, a port that is not a
// number in 1..65535).
std::optional<Target> parse_url(std::string_view url);

// The methods the firmware's http.request accepts.
bool method_supported(std::string_view method);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  Target target;
  HeaderList headers;               // in the script's order; empty names or values are dropped
  std::optional<std::string> body;  // set: sent, with its Content-Length
};

// The request head, through the blank line (the body follows it on the wire).
std::string serialize_head(const Request& request);

}  // namespace luatnet::proto::http
