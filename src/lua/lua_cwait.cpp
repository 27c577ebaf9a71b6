// Lua bindings layer: waitable objects for asynchronous C functions (see cwait.hpp).
#include <cstring>

#include "lua/cwait.hpp"
#include "lua/lua_host.hpp"

namespace luatnet::lua {
namespace {

std::uint64_t last_waitable_id = 0;

void push_topic(lua_State* L, std::uint64_t id) {
  char topic[1 + sizeof id];
  topic[0] = 0x01;
  std::memcpy(topic + 1, &id, sizeof id);
  lua_pushlstring(L, topic, sizeof topic);
}

void get_waitable_maker(lua_State* L) {
  if (lua_getglobal(L, "sys_cw") != LUA_TFUNCTION) luaL_error(L, "this call needs sys: require \"sys\" first");
}

}  // namespace

std::uint64_t push_waitable(lua_State* L) {
  get_waitable_maker(L);
  std::uint64_t id = ++last_waitable_id;
  push_topic(L, id);
  lua_call(L, 1, 1);
  return id;
}

void push_ready_waitable(lua_State* L, int count) {
  get_waitable_maker(L);
  lua_pushnil(L);
  lua_rotate(L, -count - 2, 2);  // maker, nil, values...
  lua_call(L, count + 1, 1);
}

void publish_waitable(lua_State* L, std::uint64_t id, int count) {
  lua_getglobal(L, "sys_pub");
  push_topic(L, id);
  lua_rotate(L, -count - 2, 2);  // sys_pub, topic, values...
  LuaHost::from(L).protected_call(L, count + 1);
}

}  // namespace luatnet::lua
