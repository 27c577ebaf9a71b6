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

// host.set_mailbox_delivery{send=, delivery=, parked=, parked_for=, parked_drops=, handed=, failed=}: see
// MailboxRefs.
int host_set_mailbox_delivery(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  auto& refs = LuaHost::from(L).mailbox_refs();
  struct Field {
    const char* name;
    int type;  // LUA_TNONE: any value but nil
    int* ref;
  };
  const Field fields[] = {{"send", LUA_TFUNCTION, &refs.send},
                          {"delivery", LUA_TFUNCTION, &refs.delivery},
                          {"parked", LUA_TTABLE, &refs.parked},
                          {"parked_for", LUA_TTABLE, &refs.parked_for},
                          {"parked_drops", LUA_TTABLE, &refs.parked_drops},
                          {"handed", LUA_TNONE, &refs.handed},
                          {"failed", LUA_TFUNCTION, &refs.failed}};
  for (const auto& field : fields) {
    int type = lua_getfield(L, 1, field.name);
    if (type == LUA_TNIL || (field.type != LUA_TNONE && type != field.type)) {
      return luaL_error(L, "set_mailbox_delivery: bad or missing %s", field.name);
    }
    lua_pop(L, 1);
  }
  for (const auto& field : fields) {
    lua_getfield(L, 1, field.name);
    luaL_unref(L, LUA_REGISTRYINDEX, *field.ref);
    *field.ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

// Resumes the task named by the name on top of the stack with (handed, event, param) when it is parked in
// waitMsg for this event, or drops the event when the parked task would drop it: what sys's shortcut would
// do, without running Lua to decide it. Only while no publication waits for dispatch. Pops the name;
// returns whether the event was taken care of.
bool resume_parked_task(lua_State* L, const LuaHost::MailboxRefs& refs, lua_Integer event, lua_Integer param) {
  if (lua_rawgeti(L, LUA_REGISTRYINDEX, refs.parked) != LUA_TTABLE) {  // sys never handed its tables over
    lua_pop(L, 2);
    return false;
  }
  lua_pushvalue(L, -2);
  lua_State* task = lua_rawget(L, -2) == LUA_TTHREAD ? lua_tothread(L, -1) : nullptr;
  if (task == nullptr || lua_status(task) != LUA_YIELD) {  // only a suspended coroutine can be resumed
    lua_pop(L, 3);
    return false;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, refs.parked_for);
  lua_pushvalue(L, -4);
  bool any = lua_rawget(L, -2) == LUA_TNIL;
  lua_pushinteger(L, event);
  bool wanted = any || lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 3);
  if (!wanted) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, refs.parked_drops);
    lua_pushvalue(L, -4);
    lua_rawget(L, -2);
    bool dropped = lua_toboolean(L, -1) != 0;
    lua_pop(L, 5);
    return dropped;
  }
  // Stack: name, parked, task. The task stays referenced from here until it has run.
  luaL_checkstack(task, 3, "resuming a task");
  lua_rawgeti(task, LUA_REGISTRYINDEX, refs.handed);
  lua_pushinteger(task, event);
  lua_pushinteger(task, param);
  int status = lua_resume(task, L, 3);
  if (status == LUA_OK || status == LUA_YIELD) {
    lua_settop(task, 0);  // what it yielded (a task waits with nothing to yield)
    lua_pop(L, 3);
    return true;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, refs.failed);
  lua_pushvalue(L, -2);
  lua_xmove(task, L, 1);
  LuaHost::from(L).protected_call(L, 2);
  lua_pop(L, 3);
  return true;
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

void send_to_task(lua_State* L, int task_name_ref, lua_Integer event, lua_Integer param) {
  auto& host = LuaHost::from(L);
  const auto& refs = host.mailbox_refs();
  lua_getglobal(L, "sys_send");
  lua_rawgeti(L, LUA_REGISTRYINDEX, refs.send);
  bool own = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 1);
  if (own) {
    lua_pop(L, 1);
    if (host.quiet_delivery()) {
      lua_rawgeti(L, LUA_REGISTRYINDEX, task_name_ref);
      if (resume_parked_task(L, refs, event, param)) return;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, refs.delivery);
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, task_name_ref);
  lua_pushinteger(L, event);
  lua_pushinteger(L, param);
  host.protected_call(L, 3);
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
