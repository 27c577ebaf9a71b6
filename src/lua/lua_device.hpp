// Lua bindings layer: what the driver modules (mobile, netdrv, wlan, hmeta and the board modules) share:
// the simulated module they drive, reached through each function's first upvalue.
#pragma once

#include <lua.hpp>

#include "device/simulated_module.hpp"

namespace luatnet::lua {

class LuaHost;

inline device::SimulatedModule& simulated_module(lua_State* L) {
  return *static_cast<device::SimulatedModule*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// A new table with `functions` (each with the module as upvalue), left on the stack for its constants.
void new_driver_table(lua_State* L, const luaL_Reg* functions, device::SimulatedModule& module);
// Sets table[name] = value on the table at the top of the stack.
void set_integer_field(lua_State* L, const char* name, lua_Integer value);

void open_mobile(lua_State* L, device::SimulatedModule& module);
void open_netdrv(lua_State* L, device::SimulatedModule& module);
void open_wlan(lua_State* L, device::SimulatedModule& module);
// hmeta, pm, wdt, airlink, gpio, spi: accepted calls that report the profile's board.
void open_board(lua_State* L, device::SimulatedModule& module);
// uart: the UARTs wired to host endpoints (and netsim.uart).
void open_uart(LuaHost& host, device::SimulatedModule& module);
// The board's event sources that reach scripts: gpio interrupts, the watchdog's expiry.
void wire_board_events(LuaHost& host, device::SimulatedModule& module);

}  // namespace luatnet::lua
