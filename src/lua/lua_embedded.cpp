// Lua bindings layer: registers the embedded Lua modules: the firmware's core libraries (sys, sysplus) in
// package.preload and as globals, as the firmware does; libraries that projects usually ship themselves
// (libnet) through the last package searcher, so that a project's own copy is found first. Also provides
// luatnet.host, the hooks sys.lua reports task failures and hands its mailbox shortcut through, and the
// receive that sys.run waits in.
#include <string>
#include <string_view>

#include "lua/embedded_scripts.hpp"
#include "lua/lua_host.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

int host_task_error(lua_State* L) {
  LuaHost::from(L).report_task_error(luaL_tolstring(L, 1, nullptr));
  return 0;
}

int host_set_mailbox_delivery(lua_State* L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  auto& refs = LuaHost::from(L).mailbox_refs();
  luaL_unref(L, LUA_REGISTRYINDEX, refs.send);
  luaL_unref(L, LUA_REGISTRYINDEX, refs.delivery);
  lua_pushvalue(L, 1);
  refs.send = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, 2);
  refs.delivery = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int open_host_module(lua_State* L) {
  const luaL_Reg functions[] = {{"task_error", guarded<host_task_error>},
                                {"set_mailbox_delivery", guarded<host_set_mailbox_delivery>},
                                {"receive", guarded<receive_until_published>},
                                {nullptr, nullptr}};
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

// Core libraries are built in on the device; the others are found only when the project has none.
bool is_core_library(std::string_view module) { return module == "sys" || module == "sysplus"; }

// The last of package.searchers: the loader of an embedded library, or why there is none.
int search_embedded(lua_State* L) {
  std::string_view wanted = luaL_checkstring(L, 1);
  for (const auto& script : embedded_scripts()) {
    if (script.module == wanted && !is_core_library(script.module)) {
      lua_pushlightuserdata(L, const_cast<EmbeddedScript*>(&script));
      lua_pushcclosure(L, guarded<load_embedded>, 1);
      return 1;
    }
  }
  lua_pushliteral(L, "\n\tno library built into luatnet");
  return 1;
}

}  // namespace

void push_mailbox_sender(lua_State* L) {
  const auto& refs = LuaHost::from(L).mailbox_refs();
  lua_getglobal(L, "sys_send");
  lua_rawgeti(L, LUA_REGISTRYINDEX, refs.send);
  bool own = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 1);
  if (own) {
    lua_pop(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, refs.delivery);
  }
}

void open_embedded(lua_State* L) {
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "preload");
  lua_pushcfunction(L, guarded<open_host_module>);
  lua_setfield(L, -2, "luatnet.host");
  for (const auto& script : embedded_scripts()) {
    if (!is_core_library(script.module)) continue;
    lua_pushlightuserdata(L, const_cast<EmbeddedScript*>(&script));
    lua_pushcclosure(L, guarded<load_embedded>, 1);
    lua_setfield(L, -2, std::string(script.module).c_str());
  }
  lua_pop(L, 1);
  lua_getfield(L, -1, "searchers");
  lua_pushcfunction(L, guarded<search_embedded>);
  lua_rawseti(L, -2, static_cast<lua_Integer>(lua_rawlen(L, -2)) + 1);
  lua_pop(L, 2);
  for (const char* global : {"sys", "sysplus"}) {
    lua_getglobal(L, "require");
    lua_pushstring(L, global);
    lua_call(L, 1, 1);
    lua_setglobal(L, global);
  }
}

}  // namespace luatnet::lua
