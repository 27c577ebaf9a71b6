// Lua bindings layer: puts the simulated module's drivers into the VM when a device profile is chosen,
// and turns what the module publishes into sys_pub calls on the Lua thread, in order with IP_READY/IP_LOSE.
#include "lua/lua_device.hpp"

#include "lua/lua_host.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

void push_arg(lua_State* L, const device::TopicArg& arg) {
  if (const auto* number = std::get_if<std::int64_t>(&arg)) {
    lua_pushinteger(L, *number);
  } else {
    const auto& text = std::get<std::string>(arg);
    lua_pushlstring(L, text.data(), text.size());
  }
}

// rtos.bsp() reports the profile's board instead of "PC".
int device_bsp(lua_State* L) {
  const auto& bsp = simulated_module(L).profile().bsp;
  lua_pushlstring(L, bsp.data(), bsp.size());
  return 1;
}

}  // namespace

void new_driver_table(lua_State* L, const luaL_Reg* functions, device::SimulatedModule& module) {
  lua_newtable(L);
  lua_pushlightuserdata(L, &module);
  luaL_setfuncs(L, functions, 1);
}

void set_integer_field(lua_State* L, const char* name, lua_Integer value) {
  lua_pushinteger(L, value);
  lua_setfield(L, -2, name);
}

void open_device(LuaHost& host, device::SimulatedModule& module) {
  lua_State* L = host.state();
  module.set_publisher([&loop = host.loop()](const std::string& topic, std::vector<device::TopicArg> args) {
    loop.bus().post(loop::Message{.handler = [topic, args = std::move(args)](lua_State* state, const loop::Message&) {
      lua_getglobal(state, "sys_pub");
      lua_pushlstring(state, topic.data(), topic.size());
      for (const auto& arg : args) push_arg(state, arg);
      LuaHost::from(state).protected_call(state, static_cast<int>(args.size()) + 1);
    }});
  });
  lua_getglobal(L, "rtos");
  lua_pushlightuserdata(L, &module);
  lua_pushcclosure(L, guarded<device_bsp>, 1);
  lua_setfield(L, -2, "bsp");
  lua_pop(L, 1);
  if (module.cellular()) open_mobile(L, module);
  open_netdrv(L, module);
  if (module.has_wifi()) open_wlan(L, module);
  open_board(L, module);
  open_uart(host, module);
  wire_board_events(host, module);
}

}  // namespace luatnet::lua
