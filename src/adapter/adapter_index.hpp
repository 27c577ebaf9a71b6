// Adapter layer: the firmware's adapter numbering, shared by the adapters, the socket layer and Lua.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace luatnet::adapter {

// Values as in the current firmware (luat_network_adapter.h).
enum AdapterIndex : int {
  kLwipGp = 1,
  kLwipSta = 2,
  kLwipAp = 3,
  kLwipEth = 4,
  kLwipSpi = 5,
  kLwipUart = 6,
  kLwipUser0 = 7,
  kLwipUser7 = 14,
  kLwipGpGw = 15,
  kLwipUsb = 16,
  kEth0 = 17,
  kCustom = 18,
  kAdapterCount = 19,
};

struct NamedIndex {
  std::string_view name;
  int index;
};

// The names scripts see as socket.<NAME>; USB is the lwIP USB NIC (same value as LWIP_USB).
inline constexpr std::array<NamedIndex, 18> kAdapterNames{{
    {"LWIP_GP", kLwipGp},
    {"LWIP_STA", kLwipSta},
    {"LWIP_AP", kLwipAp},
    {"LWIP_ETH", kLwipEth},
    {"LWIP_SPI", kLwipSpi},
    {"LWIP_USER0", 7},
    {"LWIP_USER1", 8},
    {"LWIP_USER2", 9},
    {"LWIP_USER3", 10},
    {"LWIP_USER4", 11},
    {"LWIP_USER5", 12},
    {"LWIP_USER6", 13},
    {"LWIP_USER7", kLwipUser7},
    {"LWIP_GP_GW", kLwipGpGw},
    {"LWIP_USB", kLwipUsb},
    {"USB", kLwipUsb},
    {"ETH0", kEth0},
    {"LWIP_UART", kLwipUart},
}};

inline std::optional<int> index_by_name(std::string_view name) {
  for (const auto& entry : kAdapterNames) {
    if (entry.name == name) return entry.index;
  }
  return std::nullopt;
}

}  // namespace luatnet::adapter
