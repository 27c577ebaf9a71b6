// Lua bindings layer: one opener per module that luatnet puts into the VM.
#pragma once

#include <array>
#include <cstdio>
#include <exception>
#include <lua.hpp>
#include <new>
#include <string_view>

namespace luatnet::socket {
class SocketRegistry;
}
namespace luatnet::adapter {
class AdapterRegistry;
class EchoPinger;
}  // namespace luatnet::adapter
namespace luatnet::device {
class SimulatedModule;
}
namespace luatnet::fs {
class DeviceFs;
class KvStore;
}  // namespace luatnet::fs

namespace luatnet::lua {

class LuaHost;

void open_log(lua_State* L);
void open_zbuff(lua_State* L);
void open_rtos(lua_State* L);
void open_json(lua_State* L);
void open_string_extras(lua_State* L);  // string.toHex, split, trim, urlEncode, toBase32, ... (before crypto)
void open_crypto(lua_State* L);         // crypto: digests, HMAC, CRCs, ciphers, hash streams, base64
void open_bit(lua_State* L);
void open_pack(lua_State* L);
void open_mcu(lua_State* L);
void open_miniz(lua_State* L);
void open_embedded(lua_State* L);  // sys, sysplus (package.preload) and the luatnet.host helpers
// sys.run's receive (luatnet.host.receive): rtos.receive without a timeout, which goes on delivering
// messages while they publish nothing, since sys.safeRun would do nothing else between them. Argument:
// sys's publication queue, whose first slot is empty while nothing waits for dispatch. Returns as
// rtos.receive: (MSG_TIMER, id, repeat), 0 after a delivery that published, or nothing at the end.
int receive_until_published(lua_State* L);
// Puts a host event (event, param) into the mailbox of the task named by the registry reference, through
// the global sys_send. While that is still sys's own: a task parked in waitMsg for this event is resumed
// with it here, and otherwise sys's shortcut for host events takes it (same arguments, same result).
void send_to_task(lua_State* L, int task_name_ref, lua_Integer event, lua_Integer param);
// io, os and loadfile/dofile on device paths, the LuatOS file helpers, and `fs` (after open_embedded).
void open_files(lua_State* L, fs::DeviceFs& device_fs);
void open_fskv(lua_State* L, fs::KvStore& store);
// errDump: the firmware's error logs, kept in the device file system.
void open_errdump(lua_State* L, const fs::DeviceFs& files);
// socket, plus delivery of socket events and IP_READY / IP_LOSE to scripts.
void open_socket(LuaHost& host, socket::SocketRegistry& sockets);
// http: http.request, whose requests run on the socket core through the protocol layer.
void open_http(LuaHost& host, socket::SocketRegistry& sockets, const fs::DeviceFs& files);
// websocket: the firmware's WebSocket client (create and the client's methods, events to callbacks).
void open_websocket(LuaHost& host, socket::SocketRegistry& sockets);
// mqtt: the firmware's MQTT client library on the socket core (src/proto/mqtt).
void open_mqtt(LuaHost& host, socket::SocketRegistry& sockets);
// netsim: host-only control of simulated links (not on the device).
void open_netsim(LuaHost& host, adapter::AdapterRegistry& adapters);
// socket.sntp, socket.ntptm, socket.sntp_port (after open_socket) and the NTP_UPDATE / NTP_ERROR topics.
void open_sntp(LuaHost& host, socket::SocketRegistry& sockets);
// ftp: login, command, pull, push, close, debug; one session, run by the protocol layer.
void open_ftp(LuaHost& host, socket::SocketRegistry& sockets, fs::DeviceFs& device_fs);
// os.time and os.date on the device's wall clock (common/device_clock), which time sync moves; rtc.get/set.
void open_device_time(lua_State* L);
// The device profile's drivers (mobile, netdrv, wlan, hmeta, ...) and rtos.bsp (after open_rtos).
void open_device(LuaHost& host, device::SimulatedModule& module);
// icmp: ping from an adapter (its simulated gateway, or a real echo); `module` null without a profile.
void open_icmp(LuaHost& host, adapter::EchoPinger& pinger, adapter::AdapterRegistry& adapters,
               device::SimulatedModule* module);

// Every C function luatnet hands to Lua is registered as guarded<function>. Lua is the C build, whose
// errors are longjmps, so two rules hold in the bindings: arguments are checked (luaL_check*, which may
// raise) before any C++ object with a destructor exists, and no C++ exception (in practice only
// std::bad_alloc) may unwind through Lua's C frames: guarded turns it into a Lua error once the
// function's own objects are gone. Pushing a result while a std::string still holds it is accepted:
// only running out of Lua memory raises there.
template <lua_CFunction Body>
int guarded(lua_State* L) {
  char message[256];
  try {
    return Body(L);
  } catch (const std::exception& error) {
    std::snprintf(message, sizeof message, "%s", error.what());
  }
  return luaL_error(L, "%s", message);
}

// Shared argument helper: an optional integer argument that must be an integer when present.
inline lua_Integer opt_integer(lua_State* L, int index, lua_Integer fallback) {
  return lua_isnoneornil(L, index) ? fallback : luaL_checkinteger(L, index);
}

// A string argument as a view (its bytes live as long as the Lua value stays on the stack).
inline std::string_view check_view(lua_State* L, int index) {
  size_t length = 0;
  const char* data = luaL_checklstring(L, index, &length);
  return {data, length};
}

// A C++ object the Lua state owns for the whole run: a userdata kept in the registry under `key`, whose
// __gc destroys it when the state closes (so it goes before the socket registry it may use). The userdata
// is left on the stack.
template <typename T>
int destroy_userdata(lua_State* L) {
  static_cast<T*>(lua_touserdata(L, 1))->~T();
  return 0;
}

template <typename T>
T& new_state_object(lua_State* L, const char* key) {
  T* object = new (lua_newuserdata(L, sizeof(T))) T{};
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, guarded<destroy_userdata<T>>);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, key);
  return *object;
}

// Typed userdata, told apart by metatable identity: luaL_testudata finds the metatable by name, which
// interns that name again on every call, and the socket path checks types several times per message.
// `key` is any address unique to the type; the metatable is kept under it (and under `name`).
// The metatables' addresses are also remembered here as they are made (a Lua state keeps its metatables,
// and Lua does not move objects), so that a check compares two pointers instead of looking the metatable
// up in the registry, several times per request. The process runs one Lua state at a time; LuaHost
// forgets them when it closes its state, and a type not remembered is looked up as before.
struct MetatableIdentity {
  const void* key = nullptr;
  const void* metatable = nullptr;
};
inline std::array<MetatableIdentity, 16>& metatable_identities() {
  static std::array<MetatableIdentity, 16> identities{};
  return identities;
}

inline void forget_metatable_identities() { metatable_identities().fill({}); }

inline void new_metatable(lua_State* L, const char* name, const void* key) {
  luaL_newmetatable(L, name);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
  for (auto& identity : metatable_identities()) {
    if (identity.key == nullptr || identity.key == key) {
      identity = {key, lua_topointer(L, -1)};
      break;
    }
  }
}

// A registry table `name` whose values are weak: live objects found by id without keeping them alive.
inline void new_weak_registry_table(lua_State* L, const char* name) {
  lua_newtable(L);
  lua_newtable(L);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, name);
}

inline void* test_userdata(lua_State* L, int index, const void* key) {
  void* block = lua_touserdata(L, index);
  if (block == nullptr || !lua_getmetatable(L, index)) return nullptr;
  const void* metatable = lua_topointer(L, -1);
  for (const auto& identity : metatable_identities()) {
    if (identity.key == nullptr) break;
    if (identity.key == key && identity.metatable == metatable) {
      lua_pop(L, 1);
      return block;
    }
  }
  lua_rawgetp(L, LUA_REGISTRYINDEX, key);
  bool same = lua_rawequal(L, -1, -2) != 0;
  lua_pop(L, 2);
  return same ? block : nullptr;
}

}  // namespace luatnet::lua
