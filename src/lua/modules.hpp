// Lua bindings layer: one opener per module that luatnet puts into the VM.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <lua.hpp>
#include <new>
#include <string_view>
#include <utility>

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

// Typed userdata. A userdata that C++ checks by type starts with a header holding its type's key (any
// address unique to the type), and its object follows the header. A check reads the header instead of
// comparing metatables (the socket path checks types several times per message), and a metatable put on
// another userdata through the debug library cannot pass one type for another. The type's metatable is
// made under `name` (argument errors, __name) and kept in the registry under `key`.
inline constexpr std::size_t kUserdataHeader = sizeof(const void*);
// The type of an object its __gc has finalized: it no longer passes for its old type.
inline constexpr char kFinalizedKey = 0;

inline void new_metatable(lua_State* L, const char* name, const void* key) {
  luaL_newmetatable(L, name);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

// A T made from `args` in a new userdata of type `key`, left on the stack without a metatable.
template <typename T, typename... Args>
T* new_typed_userdata(lua_State* L, const void* key, Args&&... args) {
  // Lua aligns a userdata's memory for pointers and numbers; the header keeps that alignment.
  static_assert(alignof(T) <= kUserdataHeader);
  auto* block = static_cast<unsigned char*>(lua_newuserdata(L, kUserdataHeader + sizeof(T)));
  std::memcpy(block, static_cast<const void*>(&key), sizeof key);
  return new (block + kUserdataHeader) T(std::forward<Args>(args)...);
}

// The object of the userdata at `index` when it has type `key`; nullptr for anything else.
inline void* test_userdata(lua_State* L, int index, const void* key) {
  auto* block = static_cast<unsigned char*>(lua_touserdata(L, index));
  // A light userdata has length 0; a full one shorter than the header was not made typed.
  if (block == nullptr || lua_rawlen(L, index) < kUserdataHeader) return nullptr;
  const void* type = nullptr;
  std::memcpy(static_cast<void*>(&type), block, sizeof type);
  return type == key ? block + kUserdataHeader : nullptr;
}

// As test_userdata, but anything else raises the usual argument error ("NAME expected, got ...").
inline void* check_userdata(lua_State* L, int index, const void* key, const char* name) {
  if (void* object = test_userdata(L, index, key)) return object;
  luaL_checkudata(L, index, name);                                   // raises unless the value has the type's metatable
  luaL_argerror(L, index, lua_pushfstring(L, "%s expected", name));  // the metatable, not the type
  return nullptr;
}

// Gives the typed userdata at `index` (checked by the caller) the type `key` from now on.
inline void set_userdata_type(lua_State* L, int index, const void* key) {
  std::memcpy(lua_touserdata(L, index), static_cast<const void*>(&key), sizeof key);
}

// For a __gc: destroys the T of type `key` in argument 1, once; anything else (a userdata given the
// type's metatable through the debug library, an object finalized already) is left alone.
template <typename T>
int finalize_typed_userdata(lua_State* L, const void* key) {
  auto* object = static_cast<T*>(test_userdata(L, 1, key));
  if (object == nullptr) return 0;
  object->~T();
  set_userdata_type(L, 1, &kFinalizedKey);
  return 0;
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

}  // namespace luatnet::lua
