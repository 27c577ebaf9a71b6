#include "lua/lua_host.hpp"

#include <filesystem>
#include <iostream>

#include "common/logger.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

int traceback_handler(lua_State* L) {
  const char* message = lua_tostring(L, 1);
  if (message == nullptr) {
    message = luaL_tolstring(L, 1, nullptr);
  }
  luaL_traceback(L, L, message, 1);
  return 1;
}

}  // namespace

LuaHost::LuaHost(loop::EventLoop& loop, HostOptions options) : loop_(loop), options_(options), L_(luaL_newstate()) {
  // Every coroutine inherits a copy of the main thread's extra space, so from() works in tasks too.
  *static_cast<LuaHost**>(lua_getextraspace(L_)) = this;
  luaL_openlibs(L_);
  open_modules();
  // As the firmware: a pause under 100% starts each collection cycle as soon as the last one ends. With
  // the default 200% a server that opens and releases ctrls (userdata with __gc, freed a cycle after
  // their finalizer ran) saw each cycle's threshold grow with the previous cycle's garbage, without end.
  lua_gc(L_, LUA_GCSETPAUSE, 90);
  if (options_.timeout) {
    // A limit in real time: virtual time does not shorten a run's --timeout.
    loop_.set_time_limit(std::chrono::steady_clock::now() + *options_.timeout);
  }
}

LuaHost::~LuaHost() { lua_close(L_); }

LuaHost& LuaHost::from(lua_State* L) { return **static_cast<LuaHost**>(lua_getextraspace(L)); }

void LuaHost::open_modules() {
  open_log(L_);
  open_zbuff(L_);
  open_rtos(L_);
  open_mcu(L_);
  open_device_time(L_);
  open_json(L_);
  open_string_extras(L_);
  open_crypto(L_);
  open_bit(L_);
  open_pack(L_);
  open_miniz(L_);
  open_embedded(L_);
}

// The firmware opens its C modules with luaL_requiref, so they sit in package.loaded: `require "socket"`
// works, and an argument error names its function ("socket.connect") even when no call site does.
void LuaHost::register_loaded_modules() {
  lua_getglobal(L_, "package");
  lua_getfield(L_, -1, "loaded");
  int loaded = lua_gettop(L_);
  lua_pushglobaltable(L_);
  int globals = lua_gettop(L_);
  lua_pushnil(L_);
  while (lua_next(L_, globals) != 0) {  // key at -2, value at -1
    if (lua_type(L_, -2) == LUA_TSTRING && lua_type(L_, -1) == LUA_TTABLE) {
      lua_pushvalue(L_, -2);
      if (lua_rawget(L_, loaded) == LUA_TNIL) {
        lua_pushvalue(L_, -3);
        lua_pushvalue(L_, -3);
        lua_rawset(L_, loaded);
      }
      lua_pop(L_, 1);
    }
    lua_pop(L_, 1);
  }
  lua_settop(L_, loaded - 2);
}

void LuaHost::set_search_path(const std::vector<std::filesystem::path>& folders) {
  std::string path;
  for (const auto& folder : folders) {
    path += folder.string() + "/?.lua;";
    path += folder.string() + "/?/init.lua;";
  }
  lua_getglobal(L_, "package");
  lua_getfield(L_, -1, "path");
  path += lua_tostring(L_, -1);
  lua_pop(L_, 1);
  lua_pushstring(L_, path.c_str());
  lua_setfield(L_, -2, "path");
  lua_pop(L_, 1);
}

loop::EventLoop::Outcome LuaHost::receive(std::optional<loop::EventLoop::Clock::time_point> deadline) {
  return loop_.next(deadline, received_);
}

void LuaHost::handle(lua_State* L, const loop::Message& message) {
  if (message.handler) message.handler(L, message);
}

void LuaHost::report_task_error(const std::string& traceback) {
  Logger::instance().log(LogLevel::Error, "luatnet", "task failed: " + traceback);
  if (options_.exit_on_task_error) {
    exit_code_ = 1;
    loop_.request_stop();
  }
}

bool LuaHost::protected_call(lua_State* L, int nargs) {
  int function_index = lua_gettop(L) - nargs;
  push_error_handler(L);
  lua_insert(L, function_index);
  bool ok = protected_call_with(L, nargs, function_index);
  lua_remove(L, function_index);
  return ok;
}

int LuaHost::push_error_handler(lua_State* L) {
  lua_pushcfunction(L, traceback_handler);
  return lua_gettop(L);
}

bool LuaHost::protected_call_with(lua_State* L, int nargs, int handler_index) {
  if (lua_pcall(L, nargs, 0, handler_index) == LUA_OK) return true;
  report_task_error(lua_tostring(L, -1) != nullptr ? lua_tostring(L, -1) : "(error object is not a string)");
  lua_pop(L, 1);
  return false;
}

int LuaHost::run(const std::string& main_script, const std::vector<std::filesystem::path>& require_folders) {
  set_search_path(require_folders);
  register_loaded_modules();

  lua_pushcfunction(L_, traceback_handler);
  int handler = lua_gettop(L_);
  int status = luaL_loadfile(L_, main_script.c_str());
  if (status == LUA_OK) {
    status = lua_pcall(L_, 0, 0, handler);
    if (status == LUA_OK && !loop_.stop_requested()) {
      // A main script that does not end with sys.run() still gets its tasks and timers served.
      lua_getglobal(L_, "require");
      lua_pushstring(L_, "sys");
      lua_call(L_, 1, 1);
      lua_getfield(L_, -1, "run");
      lua_remove(L_, -2);
      status = lua_pcall(L_, 0, 0, handler);
    }
  }
  if (status != LUA_OK) {
    Logger::instance().log(LogLevel::Error, "luatnet", lua_tostring(L_, -1) != nullptr ? lua_tostring(L_, -1) : "?");
    lua_settop(L_, 0);
    return 1;
  }
  lua_settop(L_, 0);
  if (timed_out_) {
    std::cerr << "luatnet: stopped after --timeout of " << options_.timeout->count() / 1000.0
              << " s with work still pending\n";
    return 124;
  }
  return exit_code_;
}

}  // namespace luatnet::lua
