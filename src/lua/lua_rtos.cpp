// Lua bindings layer: `rtos` (timers and the message pump that sys.lua drives).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "common/logger.hpp"
#include "lua/lua_host.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr lua_Integer kMsgTimer = 1;
constexpr lua_Integer kInfiniteTimeout = -1;

// Takes one message: pushes (MSG_TIMER, id, repeat) for a timer; other kinds are delivered here through
// the host's handlers and 0 is pushed. Pushes nothing when nothing more can happen, or on stop.
// `quiet`: the caller knows that no publication waits for sys's dispatch while the message is delivered.
int receive_one(lua_State* L, LuaHost& host, std::optional<loop::EventLoop::Clock::time_point> deadline, bool quiet) {
  switch (host.receive(deadline)) {
    case loop::EventLoop::Outcome::Message: {
      const auto& message = host.received();
      if (message.kind == loop::MessageKind::Timer) {
        host.loop().timers().delivered(message.a);
        lua_pushinteger(L, kMsgTimer);
        lua_pushinteger(L, message.a);
        lua_pushinteger(L, message.b);
        return 3;
      }
      host.set_quiet_delivery(quiet);
      host.handle(L, message);
      lua_pushinteger(L, 0);
      return 1;
    }
    case loop::EventLoop::Outcome::Deadline:
      lua_pushinteger(L, 0);
      return 1;
    case loop::EventLoop::Outcome::TimeLimit:
      host.note_deadline_reached();
      return 0;
    case loop::EventLoop::Outcome::Idle:
    case loop::EventLoop::Outcome::Stopped:
      break;
  }
  return 0;
}

// Returns one message for sys.run, as receive_one.
int rtos_receive(lua_State* L) {
  auto& host = LuaHost::from(L);
  lua_Integer timeout = luaL_optinteger(L, 1, kInfiniteTimeout);
  std::optional<loop::EventLoop::Clock::time_point> deadline;
  if (timeout >= 0) {
    deadline = loop::EventLoop::Clock::now() + loop::TimerService::capped(timeout);
  }
  return receive_one(L, host, deadline, false);
}

// rtos.timer_start(id, ms, repeat) -> 1, or 0 (nothing started) when ms is below 1, as on the device.
// Delays beyond TimerService::kMaxDelay wait that long.
int rtos_timer_start(lua_State* L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  lua_Integer ms = luaL_checkinteger(L, 2);
  lua_Integer repeat = luaL_optinteger(L, 3, 0);
  if (ms < 1) {
    lua_pushinteger(L, 0);
    return 1;
  }
  LuaHost::from(L).loop().timers().start(id, ms, repeat != 0);
  lua_pushinteger(L, 1);
  return 1;
}

int rtos_timer_stop(lua_State* L) {
  LuaHost::from(L).loop().timers().stop(luaL_checkinteger(L, 1));
  return 0;
}

// The device restarts; luatnet ends the process with kRebootExitCode at once (the script goes no
// further), or runs the project again when started with --reboot restart.
int rtos_reboot(lua_State* L) { reboot_device(LuaHost::from(L), "reboot requested"); }

int rtos_bsp(lua_State* L) {
  lua_pushliteral(L, "PC");
  return 1;
}

int rtos_version(lua_State* L) {
  lua_pushliteral(L, "V0001");
  return 1;
}

int rtos_build_date(lua_State* L) {
  lua_pushliteral(L, __DATE__);
  return 1;
}

int rtos_firmware(lua_State* L) {
  lua_pushliteral(L, "LuatOS-luatnet_V0001_PC");
  return 1;
}

// meminfo("lua") -> total, used, peak of the Lua heap; meminfo("sys") -> the process's resident set.
int rtos_meminfo(lua_State* L) {
  static lua_Integer lua_peak = 0;
  std::string_view kind = luaL_optstring(L, 1, "lua");
  lua_Integer used = 0;
  if (kind == "sys") {
    std::ifstream statm("/proc/self/statm");
    long pages_total = 0;
    long pages_resident = 0;
    statm >> pages_total >> pages_resident;
    used = static_cast<lua_Integer>(pages_resident) * 4096;
  } else {
    used = static_cast<lua_Integer>(lua_gc(L, LUA_GCCOUNT, 0)) * 1024 + lua_gc(L, LUA_GCCOUNTB, 0);
  }
  lua_peak = std::max(lua_peak, used);
  lua_pushinteger(L, lua_Integer{1} << 30);
  lua_pushinteger(L, used);
  lua_pushinteger(L, lua_peak);
  return 3;
}

}  // namespace

int receive_until_published(lua_State* L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  auto& host = LuaHost::from(L);
  while (true) {
    int results = receive_one(L, host, std::nullopt, true);
    if (results != 1) return results;
    // A delivery that published something hands over to sys, which dispatches it before the next message.
    if (lua_rawgeti(L, 1, 1) != LUA_TNIL) {
      lua_pop(L, 1);
      return 1;
    }
    lua_pop(L, 2);
  }
}

void open_rtos(lua_State* L) {
  const luaL_Reg rtos[] = {{"receive", guarded<rtos_receive>},
                           {"timer_start", guarded<rtos_timer_start>},
                           {"timer_stop", guarded<rtos_timer_stop>},
                           {"reboot", guarded<rtos_reboot>},
                           {"bsp", guarded<rtos_bsp>},
                           {"version", guarded<rtos_version>},
                           {"buildDate", guarded<rtos_build_date>},
                           {"firmware", guarded<rtos_firmware>},
                           {"meminfo", guarded<rtos_meminfo>},
                           {nullptr, nullptr}};
  luaL_newlib(L, rtos);
  lua_pushinteger(L, kMsgTimer);
  lua_setfield(L, -2, "MSG_TIMER");
  lua_pushinteger(L, kInfiniteTimeout);
  lua_setfield(L, -2, "INF_TIMEOUT");
  lua_setglobal(L, "rtos");
}

void reboot_device(LuaHost& host, const char* why) {
  const auto& restart = host.options().restart;
  Logger::instance().log(LogLevel::Info, "rtos",
                         std::string(why) + (restart ? ": running the project again" : ": exiting"));
  std::fflush(nullptr);
  if (restart) restart();
  std::exit(kRebootExitCode);
}

}  // namespace luatnet::lua
