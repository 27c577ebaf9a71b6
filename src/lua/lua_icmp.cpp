// Lua bindings layer: `icmp`, the firmware's ping module (luat_lib_icmp names, arguments and returns).
// setup and ping check their arguments and whether the adapter has an interface; the echo itself is the
// adapter layer's EchoPinger, and each answer reaches the script as PING_RESULT(adapter, round trip ms,
// address, ttl) through the bus, in order with IP_READY / IP_LOSE.
#include <new>
#include <string>
#include <type_traits>

#include "adapter/echo_pinger.hpp"
#include "common/logger.hpp"
#include "device/simulated_module.hpp"
#include "lua/lua_host.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr lua_Integer kDefaultPayload = 128;  // the firmware's default ping size

struct IcmpContext {
  adapter::EchoPinger* pinger;
  adapter::AdapterRegistry* adapters;
  device::SimulatedModule* module;  // null without a device profile
};
static_assert(std::is_trivially_destructible_v<IcmpContext>);

IcmpContext& context(lua_State* L) { return *static_cast<IcmpContext*>(lua_touserdata(L, lua_upvalueindex(1))); }

// An adapter can ping once it has an interface: under a device profile once it has a driver (the radios
// always, Ethernet after netdrv.setup), without one when it is registered.
bool has_interface(const IcmpContext& icmp, lua_Integer id) {
  if (id < 0 || id >= adapter::kAdapterCount) return false;
  auto index = static_cast<int>(id);
  return icmp.module != nullptr ? icmp.module->has_netdrv(index) : icmp.adapters->find(index) != nullptr;
}

void warn(const std::string& text) { Logger::instance().log(LogLevel::Warn, "icmp", text); }

// icmp.setup(id) -> whether the adapter can ping.
int icmp_setup(lua_State* L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  lua_pushboolean(L, has_interface(context(L), id));
  return 1;
}

// icmp.ping(id, ip, len) -> 1 when the request is under way (an answer may or may not come); nothing
// for an adapter without an interface, an invalid address or size, or when the host refuses ICMP sockets.
int icmp_ping(lua_State* L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  if (!has_interface(context(L), id)) {
    warn("adapter " + std::to_string(id) + " has no interface to ping from");
    return 0;
  }
  const char* address = luaL_checkstring(L, 2);
  lua_Integer payload = opt_integer(L, 3, kDefaultPayload);
  if (payload < 0 || payload > static_cast<lua_Integer>(adapter::kMaxEchoPayload)) {
    warn("ping size must be 0.." + std::to_string(adapter::kMaxEchoPayload));
    return 0;
  }
  auto outcome = context(L).pinger->ping(static_cast<int>(id), std::string(address), static_cast<std::size_t>(payload));
  if (outcome == adapter::EchoPinger::Outcome::BadAddress) {
    warn(std::string("not an address: ") + address);
    return 0;
  }
  if (outcome == adapter::EchoPinger::Outcome::Refused) return 0;
  lua_pushinteger(L, 1);
  return 1;
}

// icmp.debug(on) -> whether request and reply logging is on now.
int icmp_debug(lua_State* L) {
  context(L).pinger->set_debug(lua_toboolean(L, 1) != 0);
  lua_pushboolean(L, context(L).pinger->debug());
  return 1;
}

}  // namespace

void open_icmp(LuaHost& host, adapter::EchoPinger& pinger, adapter::AdapterRegistry& adapters,
               device::SimulatedModule* module) {
  lua_State* L = host.state();
  pinger.set_reply_handler([&loop = host.loop()](const adapter::EchoReply& reply) {
    loop.bus().post(loop::Message{.handler = [reply](lua_State* state, const loop::Message&) {
      lua_getglobal(state, "sys_pub");
      lua_pushliteral(state, "PING_RESULT");
      lua_pushinteger(state, reply.adapter_index);
      lua_pushinteger(state, reply.round_trip_ms);
      lua_pushlstring(state, reply.from.data(), reply.from.size());
      lua_pushinteger(state, reply.ttl);
      LuaHost::from(state).protected_call(state, 5);
    }});
  });
  const luaL_Reg functions[] = {
      {"setup", guarded<icmp_setup>}, {"ping", guarded<icmp_ping>}, {"debug", guarded<icmp_debug>}, {nullptr, nullptr}};
  lua_newtable(L);
  new (lua_newuserdata(L, sizeof(IcmpContext))) IcmpContext{&pinger, &adapters, module};
  luaL_setfuncs(L, functions, 1);
  lua_setglobal(L, "icmp");
}

}  // namespace luatnet::lua
