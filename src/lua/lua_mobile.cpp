// Lua bindings layer: `mobile`, the cellular radio of a device profile (the firmware's luat_lib_mobile
// names, arguments and returns). Identity and signal values come from the profile or the adapters file;
// flymode cuts and restores LWIP_GP through the simulated module.
#include <string>

#include "lua/lua_device.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

const device::Cellular& cellular(lua_State* L) { return *simulated_module(L).cellular(); }

// SIM-bound values read nothing without a SIM (nil), as the firmware's getters fail then.
bool sim_readable(lua_State* L) { return cellular(L).sim_present; }

void push_text_or_nil(lua_State* L, const std::string& text) {
  if (text.empty()) {
    lua_pushnil(L);
  } else {
    lua_pushlstring(L, text.data(), text.size());
  }
}

// mobile.imei(index) -> string (the radio's, SIM or not)
int mobile_imei(lua_State* L) {
  opt_integer(L, 1, 0);
  push_text_or_nil(L, cellular(L).imei);
  return 1;
}

template <std::string device::Cellular::*Field>
int sim_text(lua_State* L) {
  opt_integer(L, 1, 0);
  push_text_or_nil(L, sim_readable(L) ? cellular(L).*Field : std::string());
  return 1;
}

// mobile.simid() -> the slot in use (0), or -1 without a SIM.
int mobile_simid(lua_State* L) {
  lua_pushinteger(L, sim_readable(L) ? 0 : -1);
  return 1;
}

// Signal values read 0 when there is nothing to measure (no SIM or flight mode), as the firmware's failures.
template <std::int64_t device::Cellular::*Field>
int signal_value(lua_State* L) {
  auto& module = simulated_module(L);
  bool measuring = sim_readable(L) && !module.flight_mode();
  lua_pushinteger(L, measuring ? cellular(L).*Field : 0);
  return 1;
}

// mobile.apn(index, cid, new_apn, ...) -> the APN registered with, nil while not registered.
int mobile_apn(lua_State* L) {
  opt_integer(L, 1, 0);
  opt_integer(L, 2, 0);
  if (!lua_isnoneornil(L, 3)) luaL_checkstring(L, 3);
  if (simulated_module(L).registration_status() == 1) {
    push_text_or_nil(L, cellular(L).apn);
  } else {
    lua_pushnil(L);
  }
  return 1;
}

int mobile_status(lua_State* L) {
  lua_pushinteger(L, simulated_module(L).registration_status());
  return 1;
}

// mobile.flymode(index, enable, is_async) -> whether flight mode was on before the call.
int mobile_flymode(lua_State* L) {
  opt_integer(L, 1, 0);
  auto& module = simulated_module(L);
  bool before = module.flight_mode();
  if (lua_isboolean(L, 2)) module.set_flight_mode(lua_toboolean(L, 2) != 0);
  lua_pushboolean(L, before);
  return 1;
}

void push_cell(lua_State* L, const device::CellInfo& cell, bool serving) {
  lua_createtable(L, 0, 13);
  const std::pair<const char*, std::int64_t> fields[] = {
      {"pci", cell.pci},   {"cid", cell.cid}, {"earfcn", cell.earfcn}, {"rsrp", cell.rsrp}, {"rsrq", cell.rsrq},
      {"rssi", cell.rssi}, {"snr", cell.snr}, {"mcc", cell.mcc},       {"mnc", cell.mnc},   {"tac", cell.tac}};
  for (const auto& [name, value] : fields) set_integer_field(L, name, value);
  if (serving) {
    set_integer_field(L, "tdd", 0);
    set_integer_field(L, "band", cell.band);
  }
}

// mobile.getCellInfo() -> the cells measured by the last reqCellInfo (serving cell first), else {}.
int mobile_get_cell_info(lua_State* L) {
  lua_newtable(L);
  if (!simulated_module(L).cell_info_ready()) return 1;
  const auto& cells = cellular(L).cells;
  for (std::size_t at = 0; at < cells.size(); ++at) {
    push_cell(L, cells[at], at == 0);
    lua_seti(L, -2, static_cast<lua_Integer>(at + 1));
  }
  return 1;
}

// mobile.reqCellInfo(timeout): CELL_INFO_UPDATE follows when the measurement is done.
int mobile_req_cell_info(lua_State* L) {
  opt_integer(L, 1, 15);
  simulated_module(L).request_cell_info();
  return 0;
}

// eci / tac / enbid of the serving cell; -1 without one.
int serving_cell_value(lua_State* L, std::int64_t (*pick)(const device::CellInfo&)) {
  const auto& cells = cellular(L).cells;
  bool registered = simulated_module(L).registration_status() == 1;
  lua_pushinteger(L, registered && !cells.empty() ? pick(cells.front()) : -1);
  return 1;
}
int mobile_eci(lua_State* L) {
  return serving_cell_value(L, [](const device::CellInfo& cell) { return cell.cid; });
}
int mobile_tac(lua_State* L) {
  return serving_cell_value(L, [](const device::CellInfo& cell) { return cell.tac; });
}
int mobile_enbid(lua_State* L) {
  return serving_cell_value(L, [](const device::CellInfo& cell) { return cell.cid >> 8; });
}

// Settings the simulation accepts without effect: setAuto, rtime, reset (logged by nothing, returns nil).
int accepted_nothing(lua_State* /*L*/) { return 0; }

// mobile.syncTime(enable) / mobile.ipv6(onoff) -> the switch's state after the call.
template <bool Initial>
int switch_value(lua_State* L) {
  static bool state = Initial;
  if (lua_isboolean(L, 1)) state = lua_toboolean(L, 1) != 0;
  lua_pushboolean(L, state);
  return 1;
}

// mobile.config(item, value) -> true (accepted).
int mobile_config(lua_State* L) {
  luaL_checkinteger(L, 1);
  lua_pushboolean(L, 1);
  return 1;
}

// netsim.mobile({csq=, rssi=, rsrp=, rsrq=, snr=}): host-only, changes the signal a script reads next.
int netsim_mobile(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  auto& values = *simulated_module(L).cellular_values();
  const std::pair<const char*, std::int64_t device::Cellular::*> fields[] = {{"csq", &device::Cellular::csq},
                                                                             {"rssi", &device::Cellular::rssi},
                                                                             {"rsrp", &device::Cellular::rsrp},
                                                                             {"rsrq", &device::Cellular::rsrq},
                                                                             {"snr", &device::Cellular::snr}};
  for (const auto& [name, field] : fields) {
    lua_getfield(L, 1, name);
    if (!lua_isnil(L, -1)) values.*field = luaL_checkinteger(L, -1);
    lua_pop(L, 1);
  }
  return 0;
}

}  // namespace

void open_mobile(lua_State* L, device::SimulatedModule& module) {
  const luaL_Reg functions[] = {{"imei", guarded<mobile_imei>},
                                {"imsi", guarded<sim_text<&device::Cellular::imsi>>},
                                {"iccid", guarded<sim_text<&device::Cellular::iccid>>},
                                {"number", guarded<sim_text<&device::Cellular::number>>},
                                {"simid", guarded<mobile_simid>},
                                {"apn", guarded<mobile_apn>},
                                {"csq", guarded<signal_value<&device::Cellular::csq>>},
                                {"rssi", guarded<signal_value<&device::Cellular::rssi>>},
                                {"rsrp", guarded<signal_value<&device::Cellular::rsrp>>},
                                {"rsrq", guarded<signal_value<&device::Cellular::rsrq>>},
                                {"snr", guarded<signal_value<&device::Cellular::snr>>},
                                {"status", guarded<mobile_status>},
                                {"flymode", guarded<mobile_flymode>},
                                {"getCellInfo", guarded<mobile_get_cell_info>},
                                {"reqCellInfo", guarded<mobile_req_cell_info>},
                                {"eci", guarded<mobile_eci>},
                                {"tac", guarded<mobile_tac>},
                                {"enbid", guarded<mobile_enbid>},
                                {"setAuto", guarded<accepted_nothing>},
                                {"rtime", guarded<accepted_nothing>},
                                {"syncTime", guarded<switch_value<true>>},
                                {"ipv6", guarded<switch_value<false>>},
                                {"config", guarded<mobile_config>},
                                {nullptr, nullptr}};
  new_driver_table(L, functions, module);
  const std::pair<const char*, int> statuses[] = {{"UNREGISTER", 0},
                                                  {"REGISTERED", 1},
                                                  {"SEARCH", 2},
                                                  {"DENIED", 3},
                                                  {"UNKNOW", 4},
                                                  {"REGISTERED_ROAMING", 5},
                                                  {"SMS_ONLY_REGISTERED", 6},
                                                  {"SMS_ONLY_REGISTERED_ROAMING", 7},
                                                  {"EMERGENCY_REGISTERED", 8}};
  for (const auto& [name, value] : statuses) set_integer_field(L, name, value);
  lua_setglobal(L, "mobile");
  if (lua_getglobal(L, "netsim") == LUA_TTABLE) {
    lua_pushlightuserdata(L, &module);
    lua_pushcclosure(L, guarded<netsim_mobile>, 1);
    lua_setfield(L, -2, "mobile");
  }
  lua_pop(L, 1);
}

}  // namespace luatnet::lua
