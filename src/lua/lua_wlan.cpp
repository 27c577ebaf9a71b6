// Lua bindings layer: `wlan`, the Wi-Fi radio of a device profile (the firmware's luat_lib_wlan names,
// arguments and returns). connect joins a network listed in the adapters file and brings LWIP_STA up
// after a simulated association; createAP/stopAP raise and drop LWIP_AP.
#include <string>

#include "common/encoding.hpp"
#include "lua/lua_device.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr int kModeNone = 0, kModeStation = 1, kModeAp = 2, kModeStationAp = 3;

int wlan_init(lua_State* L) {
  simulated_module(L).wifi_init();
  lua_pushboolean(L, 1);
  return 1;
}

// wlan.setMode(mode) -> true; an out-of-range mode means STATION, as in the firmware.
int wlan_set_mode(lua_State* L) {
  lua_Integer mode = kModeStation;
  if (lua_isinteger(L, 1)) {
    mode = lua_tointeger(L, 1);
  } else if (lua_isinteger(L, 2)) {
    mode = lua_tointeger(L, 2);
  }
  if (mode <= kModeNone || mode > kModeStationAp) mode = kModeStation;
  simulated_module(L).set_wifi_mode(static_cast<int>(mode));
  lua_pushboolean(L, 1);
  return 1;
}

int wlan_ready(lua_State* L) {
  lua_pushboolean(L, simulated_module(L).adapter_ready(adapter::kLwipSta));
  return 1;
}

// wlan.connect(ssid, password, auto_reconnect, bssid) -> true when the association started (not that it
// succeeded: WLAN_STA_INC and IP_READY tell); nothing without an SSID or a 6-byte BSSID.
int wlan_connect(lua_State* L) {
  std::size_t ssid_length = 0, bssid_length = 0;
  const char* ssid = luaL_optlstring(L, 1, "", &ssid_length);
  const char* password = luaL_optstring(L, 2, "");
  opt_integer(L, 3, 1);
  luaL_optlstring(L, 4, "", &bssid_length);
  if (bssid_length != 6 && ssid_length == 0) return 0;
  simulated_module(L).wifi_connect(std::string(ssid, ssid_length), password);
  lua_pushboolean(L, 1);
  return 1;
}

int wlan_disconnect(lua_State* L) {
  simulated_module(L).wifi_disconnect();
  return 0;
}

// wlan.scan(): WLAN_SCAN_DONE follows.
int wlan_scan(lua_State* L) {
  simulated_module(L).wifi_scan();
  return 0;
}

// wlan.scanResult(limit) -> {ssid, bssid (6 bytes), channel, rssi} per network seen by the last scan.
int wlan_scan_result(lua_State* L) {
  lua_Integer limit = opt_integer(L, 1, 20);
  limit = limit > 32 ? 32 : (limit < 8 ? 8 : limit);
  lua_newtable(L);
  auto& module = simulated_module(L);
  if (!module.scan_done()) return 1;
  lua_Integer position = 0;
  for (const auto& network : module.profile().networks) {
    if (position == limit) break;
    lua_createtable(L, 0, 4);
    lua_pushlstring(L, network.ssid.data(), network.ssid.size());
    lua_setfield(L, -2, "ssid");
    lua_pushlstring(L, network.bssid.data(), network.bssid.size());
    lua_setfield(L, -2, "bssid");
    set_integer_field(L, "channel", network.channel);
    set_integer_field(L, "rssi", network.rssi);
    lua_seti(L, -2, ++position);
  }
  return 1;
}

int ap_or_station(lua_State* L) { return opt_integer(L, 1, 0) == 0 ? adapter::kLwipSta : adapter::kLwipAp; }

// wlan.getMac(tp, hexstr) -> "AABBCCDDEEFF" (6 raw bytes when hexstr is false); tp 0 STA, else AP.
int wlan_get_mac(lua_State* L) {
  int index = ap_or_station(L);
  auto& module = simulated_module(L);
  if (!module.adapter_exists(index)) return 0;
  std::string mac = module.mac(index);
  if (lua_isboolean(L, 2) && !lua_toboolean(L, 2)) {
    lua_pushlstring(L, mac.data(), mac.size());
    return 1;
  }
  std::string text = hex_encode(mac);
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

// wlan.getIP(tp) -> the STA's (or AP's) IPv4 address, "0.0.0.0" while down.
int wlan_get_ip(lua_State* L) {
  int index = ap_or_station(L);
  auto& module = simulated_module(L);
  if (!module.adapter_exists(index)) return 0;
  auto address = module.address(index);
  lua_pushstring(L, address ? address->ip.c_str() : "0.0.0.0");
  return 1;
}

// wlan.createAP(ssid, password, gateway, netmask, channel, opts) -> true; nothing for an empty SSID.
int wlan_create_ap(lua_State* L) {
  std::size_t ssid_length = 0;
  const char* ssid = luaL_checklstring(L, 1, &ssid_length);
  luaL_optstring(L, 2, "");
  luaL_optstring(L, 3, "192.168.4.1");
  luaL_optstring(L, 4, "255.255.255.0");
  opt_integer(L, 5, 6);
  if (ssid_length < 1) return 0;
  auto& module = simulated_module(L);
  if (!module.adapter_exists(adapter::kLwipAp)) {
    lua_pushboolean(L, 0);
    return 1;
  }
  module.start_ap(std::string(ssid, ssid_length));
  lua_pushboolean(L, 1);
  return 1;
}

int wlan_stop_ap(lua_State* L) {
  auto& module = simulated_module(L);
  if (module.adapter_exists(adapter::kLwipAp)) module.stop_ap();
  lua_pushboolean(L, 1);
  return 1;
}

// wlan.getInfo() -> {bssid = hex, gw = gateway, rssi = dBm} of the joined network (zeros when none).
int wlan_get_info(lua_State* L) {
  auto& module = simulated_module(L);
  const device::WifiNetwork* joined = module.joined_network();
  auto address = module.address(adapter::kLwipSta);
  lua_createtable(L, 0, 3);
  std::string bssid = joined != nullptr ? joined->bssid : std::string(6, '\0');
  std::string text = hex_encode(bssid);
  lua_pushlstring(L, text.data(), text.size());
  lua_setfield(L, -2, "bssid");
  lua_pushstring(L, joined != nullptr && address ? address->gateway.c_str() : "");
  lua_setfield(L, -2, "gw");
  set_integer_field(L, "rssi", joined != nullptr ? joined->rssi : 0);
  return 1;
}

// wlan.powerSave(mode) -> the mode after the call (accepted, no effect on the simulated link).
int wlan_power_save(lua_State* L) {
  static lua_Integer mode = 0;
  if (lua_isinteger(L, 1)) mode = lua_tointeger(L, 1);
  lua_pushinteger(L, mode);
  return 1;
}

}  // namespace

void open_wlan(lua_State* L, device::SimulatedModule& module) {
  const luaL_Reg functions[] = {{"init", guarded<wlan_init>},
                                {"setMode", guarded<wlan_set_mode>},
                                {"ready", guarded<wlan_ready>},
                                {"connect", guarded<wlan_connect>},
                                {"disconnect", guarded<wlan_disconnect>},
                                {"scan", guarded<wlan_scan>},
                                {"scanResult", guarded<wlan_scan_result>},
                                {"getMac", guarded<wlan_get_mac>},
                                {"getIP", guarded<wlan_get_ip>},
                                {"createAP", guarded<wlan_create_ap>},
                                {"stopAP", guarded<wlan_stop_ap>},
                                {"getInfo", guarded<wlan_get_info>},
                                {"powerSave", guarded<wlan_power_save>},
                                {nullptr, nullptr}};
  new_driver_table(L, functions, module);
  const std::pair<const char*, int> constants[] = {
      {"NONE", kModeNone}, {"STATION", kModeStation}, {"AP", kModeAp},    {"STATIONAP", kModeStationAp},
      {"PS_NONE", 0},      {"PS_MIN_MODEM", 1},       {"PS_MAX_MODEM", 2}};
  for (const auto& [name, value] : constants) set_integer_field(L, name, value);
  lua_setglobal(L, "wlan");
}

}  // namespace luatnet::lua
