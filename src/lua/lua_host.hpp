// Lua bindings layer: the Lua 5.3 VM and what connects it to the event loop. LuaHost owns the lua_State,
// opens the LuatOS modules, runs the main script, turns bus messages into Lua calls through handlers that
// modules register, and decides the exit code. It holds no network logic.
#pragma once

#include <filesystem>
#include <functional>
#include <lua.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loop/event_loop.hpp"

namespace luatnet::lua {

// rtos.reboot ends the run with this exit code, unless HostOptions::restart is set.
inline constexpr int kRebootExitCode = 75;

struct HostOptions {
  bool exit_on_task_error = false;                   // the device keeps other tasks running
  std::optional<std::chrono::milliseconds> timeout;  // --timeout
  std::function<void()> restart;                     // --reboot restart: what rtos.reboot runs (does not return)
};

class LuaHost {
 public:
  LuaHost(loop::EventLoop& loop, HostOptions options);
  ~LuaHost();
  LuaHost(const LuaHost&) = delete;
  LuaHost& operator=(const LuaHost&) = delete;

  // Runs `main_script` with `require_folders` on the require path. Returns the process exit code.
  int run(const std::string& main_script, const std::vector<std::filesystem::path>& require_folders);

  static LuaHost& from(lua_State* L);
  [[nodiscard]] const HostOptions& options() const { return options_; }
  lua_State* state() { return L_; }
  loop::EventLoop& loop() { return loop_; }

  // Waits for the next bus message (kept in received(): delivering it runs Lua, which may raise, so the
  // message must not live on the C stack of the function that delivers it).
  loop::EventLoop::Outcome receive(std::optional<loop::EventLoop::Clock::time_point> deadline);
  [[nodiscard]] const loop::Message& received() const { return received_; }
  void handle(lua_State* L, const loop::Message& message);
  // Queues `deliver` on the bus: it runs on the Lua thread that takes the message, in posting order with
  // every other event (how modules above the socket core reach scripts).
  template <typename Deliver>
  void post(Deliver&& deliver) {
    loop_.bus().post(loop::Message{
        .handler = [deliver = std::forward<Deliver>(deliver)](lua_State* L, const loop::Message&) { deliver(L); }});
  }

  // Registry references to what sys.lua hands over for events from the host to tasks (see send_to_task):
  // looked up by index, as every socket event for a task needs them.
  struct MailboxRefs {
    int send = LUA_NOREF;          // sys.sendMsg as sys made it
    int delivery = LUA_NOREF;      // sys's shortcut for a host event (same arguments, same result)
    int parked = LUA_NOREF;        // task name -> coroutine waiting alone in waitMsg with an empty mailbox
    int parked_for = LUA_NOREF;    // task name -> the message that coroutine waits for (nil: any)
    int parked_drops = LUA_NOREF;  // task name -> true when its mailbox drops other messages
    int handed = LUA_NOREF;        // what such a coroutine is resumed with before the event and parameter
    int failed = LUA_NOREF;        // reports a task that failed: (coroutine, error)
  };
  MailboxRefs& mailbox_refs() { return mailbox_refs_; }
  // Whether the message being delivered came through sys.run's receive, which goes on only while no
  // publication waits for dispatch (so a task may be resumed at once, see send_to_task).
  void set_quiet_delivery(bool quiet) { quiet_delivery_ = quiet; }
  [[nodiscard]] bool quiet_delivery() const { return quiet_delivery_; }

  // Called by sys when a task or callback fails: logs the traceback; stops the run if so configured.
  void report_task_error(const std::string& traceback);

  // rtos.receive found the --timeout limit passed.
  void note_deadline_reached() { timed_out_ = true; }

  // Calls f(args) protected; logs a failure with its traceback. Pops f and args; returns success.
  bool protected_call(lua_State* L, int nargs);
  // The same for a caller that pushed the error handler (push_error_handler) before f, so that nothing on
  // the stack is moved per call; the handler stays.
  static int push_error_handler(lua_State* L);
  bool protected_call_with(lua_State* L, int nargs, int handler_index);

 private:
  void open_modules();
  void set_search_path(const std::vector<std::filesystem::path>& folders);
  void register_loaded_modules();

  loop::EventLoop& loop_;
  HostOptions options_;
  lua_State* L_;
  loop::Message received_;
  MailboxRefs mailbox_refs_;
  bool quiet_delivery_ = false;
  int exit_code_ = 0;
  bool timed_out_ = false;
};

// What the device does when it restarts (rtos.reboot, the watchdog): logs `why`, then runs the project
// again under --reboot restart or ends the process with kRebootExitCode.
[[noreturn]] void reboot_device(LuaHost& host, const char* why);

}  // namespace luatnet::lua
