// Lua bindings layer: `netdrv`, the firmware's network-driver module (luat_lib_netdrv names, arguments
// and returns). setup brings an Ethernet adapter (CH390, W5500, whale, ...) up on its simulated link;
// ctrl CTRL_UPDOWN cuts or restores it; the other calls report or record what the driver would hold.
#include <arpa/inet.h>

#include <string>

#include "common/encoding.hpp"
#include "lua/lua_device.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr int kCtrlReset = 0;
constexpr int kCtrlUpDown = 1;

int checked_id(lua_State* L) { return static_cast<int>(luaL_checkinteger(L, 1)); }

// netdrv.setup(id, tp, opts) -> whether the driver started (false for an adapter the module lacks).
int netdrv_setup(lua_State* L) {
  int id = checked_id(L);
  opt_integer(L, 2, 0);
  lua_pushboolean(L, simulated_module(L).setup_driver(id));
  return 1;
}

// netdrv.dhcp(id, enable, name) -> true (the simulated link always leases its address).
int netdrv_dhcp(lua_State* L) {
  int id = checked_id(L);
  if (lua_type(L, 3) == LUA_TSTRING && lua_rawlen(L, 3) + 1 > 32) {
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_pushboolean(L, simulated_module(L).has_netdrv(id));
  return 1;
}

// netdrv.mac(id, new_mac, raw) -> the MAC as 12 hex digits (6 bytes when raw is false); nothing for a
// new MAC that is not 6 bytes. Setting is not supported (as the firmware says); an unknown id reads zeros.
int netdrv_mac(lua_State* L) {
  int id = checked_id(L);
  if (lua_type(L, 2) == LUA_TSTRING && lua_rawlen(L, 2) != 6) return 0;
  auto& module = simulated_module(L);
  std::string mac = module.has_netdrv(id) ? module.mac(id) : std::string(6, '\0');
  std::string shown = lua_isboolean(L, 3) && !lua_toboolean(L, 3) ? mac : hex_encode(mac);
  lua_pushlstring(L, shown.data(), shown.size());
  return 1;
}

bool valid_ipv4(const char* text) {
  in_addr parsed{};
  return inet_pton(AF_INET, text, &parsed) == 1;
}

// netdrv.ipv4(id, addr, mask, gw) -> ip, mask, gw; nothing for an id without a driver or an invalid
// address; "", "", "" for a cellular adapter not registered yet. A static address is recorded and
// reported; the simulated adapter keeps using the host's routing.
int netdrv_ipv4(lua_State* L) {
  int id = checked_id(L);
  auto& module = simulated_module(L);
  if (!module.has_netdrv(id)) return 0;
  if (id == adapter::kLwipGp && !module.adapter_ready(id)) {
    for (int i = 0; i < 3; ++i) lua_pushliteral(L, "");
    return 3;
  }
  if (lua_isstring(L, 2) && lua_isstring(L, 3) && lua_isstring(L, 4)) {
    for (int argument = 2; argument <= 4; ++argument) {
      if (!valid_ipv4(lua_tostring(L, argument))) return 0;
    }
    module.set_static_ipv4(id, {lua_tostring(L, 2), lua_tostring(L, 3), lua_tostring(L, 4)});
  }
  std::string ip = "0.0.0.0", mask = "0.0.0.0", gateway = "0.0.0.0";
  if (const auto& fixed = module.static_ipv4(id)) {
    ip = fixed->ip, mask = fixed->mask, gateway = fixed->gateway;
  } else if (auto address = module.address(id)) {
    ip = address->ip, mask = address->mask, gateway = address->gateway;
  }
  for (const auto* text : {&ip, &mask, &gateway}) lua_pushlstring(L, text->data(), text->size());
  return 3;
}

// netdrv.napt(id) -> true; nothing when the gateway adapter has no driver. -1 or nil turns it off.
int netdrv_napt(lua_State* L) {
  int id = static_cast<int>(opt_integer(L, 1, -1));
  auto& module = simulated_module(L);
  if (id >= 0 && !module.has_netdrv(id)) return 0;
  module.set_napt_gateway(id < 0 ? -1 : id);
  lua_pushboolean(L, 1);
  return 1;
}

// netdrv.link(id) -> the physical link; nothing for a negative id or one without a driver.
int netdrv_link(lua_State* L) {
  int id = checked_id(L);
  auto& module = simulated_module(L);
  if (id < 0 || !module.has_netdrv(id)) return 0;
  lua_pushboolean(L, module.adapter_ready(id));
  return 1;
}

// netdrv.ready(id) -> whether the adapter can carry traffic; ready(-1) -> any ready, bit mask by id.
int netdrv_ready(lua_State* L) {
  int id = checked_id(L);
  auto& module = simulated_module(L);
  if (id < 0) {
    lua_Integer mask = 0;
    for (int index = 0; index < adapter::kAdapterCount; ++index) {
      if (module.has_netdrv(index) && module.adapter_ready(index)) mask |= lua_Integer{1} << index;
    }
    lua_pushboolean(L, mask > 0);
    lua_pushinteger(L, mask);
    return 2;
  }
  lua_pushboolean(L, module.has_netdrv(id) && module.adapter_ready(id));
  return 1;
}

// netdrv.ctrl(id, cmd, arg) -> true, 0 when done; false, -1 for a command the chip does not know;
// nothing for an id without a driver or a driver without controls (the module's own radios).
int netdrv_ctrl(lua_State* L) {
  int id = checked_id(L);
  auto cmd = luaL_checkinteger(L, 2);
  auto arg = luaL_checkinteger(L, 3);
  auto& module = simulated_module(L);
  if (!module.driver_set_up(id) || id == adapter::kLwipGp || id == adapter::kLwipSta || id == adapter::kLwipAp) {
    return 0;
  }
  bool done = false;
  if (cmd == kCtrlUpDown) {
    done = module.set_driver_up(id, arg != 0);
  } else if (cmd == kCtrlReset) {
    done = module.set_driver_up(id, false) && module.set_driver_up(id, true);
  }
  lua_pushboolean(L, done);
  lua_pushinteger(L, done ? 0 : -1);
  return 2;
}

// netdrv.on(id, event, callback): accepted; the simulation raises no driver-level socket or packet events.
int netdrv_on(lua_State* L) {
  checked_id(L);
  luaL_checkinteger(L, 2);
  return 0;
}

// netdrv.debug(id, enable) -> true.
int netdrv_debug(lua_State* L) {
  checked_id(L);
  lua_pushboolean(L, 1);
  return 1;
}

}  // namespace

void open_netdrv(lua_State* L, device::SimulatedModule& module) {
  const luaL_Reg functions[] = {{"setup", guarded<netdrv_setup>},
                                {"dhcp", guarded<netdrv_dhcp>},
                                {"mac", guarded<netdrv_mac>},
                                {"ipv4", guarded<netdrv_ipv4>},
                                {"napt", guarded<netdrv_napt>},
                                {"link", guarded<netdrv_link>},
                                {"ready", guarded<netdrv_ready>},
                                {"ctrl", guarded<netdrv_ctrl>},
                                {"on", guarded<netdrv_on>},
                                {"debug", guarded<netdrv_debug>},
                                {nullptr, nullptr}};
  new_driver_table(L, functions, module);
  // The firmware's values (luat_netdrv_drv.h, luat_netdrv.h, luat_netdrv_event.h).
  const std::pair<const char*, int> constants[] = {{"CH390", 1},
                                                   {"UART", 2},
                                                   {"WHALE", 3},
                                                   {"CTRL_RESET", kCtrlReset},
                                                   {"CTRL_UPDOWN", kCtrlUpDown},
                                                   {"RESET_HARD", 0x101},
                                                   {"RESET_SOFT", 0x102},
                                                   {"EVT_SOCKET", 1},
                                                   {"EVT_PKG", 2},
                                                   {"CH_HW", 0x10},
                                                   {"CH_LWIP", 0x20},
                                                   {"CH_NAPT", 0x30}};
  for (const auto& [name, value] : constants) set_integer_field(L, name, value);
  lua_setglobal(L, "netdrv");
}

}  // namespace luatnet::lua
