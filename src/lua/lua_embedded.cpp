// Lua bindings layer: registers the embedded Lua modules (sys, sysplus) in package.preload, makes them
// globals as the firmware does, and provides luatnet.host, the hook sys.lua reports task failures through.
#include <string>

#include "lua/embedded_scripts.hpp"
#include "lua/lua_host.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

int host_task_error(lua_State* L) {
  LuaHost::from(L).report_task_error(luaL_tolstring(L, 1, nullptr));
  return 0;
}

int open_host_module(lua_State* L) {
  const luaL_Reg functions[] = {{"task_error", guarded<host_task_error>}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  return 1;
}

int load_embedded(lua_State* L) {
  const auto* script = static_cast<const EmbeddedScript*>(lua_touserdata(L, lua_upvalueindex(1)));
  // The chunk name lives on the Lua stack: the chunk may raise, and that must not skip a C++ destructor.
  lua_pushliteral(L, "=");
  lua_pushlstring(L, script->module.data(), script->module.size());
  lua_pushliteral(L, ".lua");
  lua_concat(L, 3);
  if (luaL_loadbuffer(L, script->source.data(), script->source.size(), lua_tostring(L, -1)) != LUA_OK) {
    return lua_error(L);
  }
  lua_call(L, 0, 1);
  return 1;
}

}  // namespace

void open_embedded(lua_State* L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, guarded<open_host_module>);
  lua_setfield(L, -2, "luatnet.host");
  for (const auto& script : embedded_scripts()) {
    lua_pushlightuserdata(L, const_cast<EmbeddedScript*>(&script));
    lua_pushcclosure(L, guarded<load_embedded>, 1);
    lua_setfield(L, -2, std::string(script.module).c_str());
  }
  lua_pop(L, 2);
  for (const char* global : {"sys", "sysplus"}) {
    lua_getglobal(L, "require");
    lua_pushstring(L, global);
    lua_call(L, 1, 1);
    lua_setglobal(L, global);
  }
}

}  // namespace luatnet::lua
