#include "adapter/host_interfaces.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <fstream>
#include <sstream>

namespace luatnet::adapter {
namespace {

std::string to_text(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
  } else if (address->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
  }
  return text;
}

// Walks /proc/net/route; calls `visit(interface, destination, gateway)` per row (hex host-order fields).
template <typename Visit>
void for_each_route(Visit visit) {
  std::ifstream routes("/proc/net/route");
  std::string line;
  std::getline(routes, line);  // header
  while (std::getline(routes, line)) {
    std::istringstream fields(line);
    std::string name;
    std::string destination;
    std::string gateway;
    fields >> name >> destination >> gateway;
    visit(name, std::stoul(destination, nullptr, 16), std::stoul(gateway, nullptr, 16));
  }
}

}  // namespace

std::optional<InterfaceAddress> query_interface(const std::string& name) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return std::nullopt;
  std::optional<InterfaceAddress> found;
  std::string ipv6;
  for (ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || name != entry->ifa_name || (entry->ifa_flags & IFF_UP) == 0) continue;
    if (entry->ifa_addr->sa_family == AF_INET && !found) {
      found = InterfaceAddress{to_text(entry->ifa_addr), to_text(entry->ifa_netmask), gateway_of(name), ""};
    } else if (entry->ifa_addr->sa_family == AF_INET6 && ipv6.empty()) {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(entry->ifa_addr);
      if (!IN6_IS_ADDR_LINKLOCAL(&v6->sin6_addr)) ipv6 = to_text(entry->ifa_addr);
    }
  }
  freeifaddrs(list);
  if (found) found->ipv6 = ipv6;
  return found;
}

std::optional<std::string> default_route_interface() {
  std::optional<std::string> found;
  for_each_route([&found](const std::string& name, unsigned long destination, unsigned long) {
    if (destination == 0 && !found) found = name;
  });
  return found;
}

std::string gateway_of(const std::string& name) {
  std::string gateway = "0.0.0.0";
  for_each_route([&](const std::string& route_name, unsigned long destination, unsigned long via) {
    if (route_name == name && destination == 0 && via != 0) {
      in_addr address{static_cast<in_addr_t>(via)};
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &address, text, sizeof text);
      gateway = text;
    }
  });
  return gateway;
}

}  // namespace luatnet::adapter
