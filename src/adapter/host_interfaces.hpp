// Adapter layer: what the host says about its network interfaces (addresses, masks, default gateway).
#pragma once

#include <optional>
#include <string>

namespace luatnet::adapter {

struct InterfaceAddress {
  std::string ip;
  std::string mask;
  std::string gateway;
  std::string ipv6;  // empty when the interface has no global IPv6 address
};

// The interface's IPv4 address when it exists, is up and has one.
std::optional<InterfaceAddress> query_interface(const std::string& name);
// The interface that carries the default IPv4 route, if there is one.
std::optional<std::string> default_route_interface();
// The default gateway of `name` from the routing table ("0.0.0.0" when none).
std::string gateway_of(const std::string& name);

}  // namespace luatnet::adapter
