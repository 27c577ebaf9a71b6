// Lua bindings layer: os.time and os.date read the device's wall clock (common/device_clock) instead of
// the host's, so that a time sync (socket.sntp) moves them as it moves the RTC on the device. With an
// explicit table or time they are Lua's own functions, unchanged.
#include "common/device_clock.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

lua_Integer device_seconds() {
  std::int64_t ms = device_clock::now_ms();
  return static_cast<lua_Integer>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
}

// os.time([table]); upvalue 1 is Lua's own os.time.
int os_time(lua_State* L) {
  if (!lua_isnoneornil(L, 1)) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
  }
  lua_pushinteger(L, device_seconds());
  return 1;
}

// os.date([format [, time]]); upvalue 1 is Lua's own os.date.
int os_date(lua_State* L) {
  bool with_time = !lua_isnoneornil(L, 2);
  lua_settop(L, 2);
  if (!with_time) {
    lua_pushinteger(L, device_seconds());
    lua_replace(L, 2);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, 1);
  return 1;
}

}  // namespace

void open_device_time(lua_State* L) {
  lua_getglobal(L, "os");
  lua_getfield(L, -1, "time");
  lua_pushcclosure(L, guarded<os_time>, 1);
  lua_setfield(L, -2, "time");
  lua_getfield(L, -1, "date");
  lua_pushcclosure(L, guarded<os_date>, 1);
  lua_setfield(L, -2, "date");
  lua_pop(L, 1);
}

}  // namespace luatnet::lua
