// Lua bindings layer: `netsim`, a host-only module (absent on the device) with which a test script cuts
// or restores an adapter's simulated link and changes its conditions while it runs.
#include <string>
#include <type_traits>

#include "adapter/adapter_registry.hpp"
#include "lua/lua_host.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

adapter::AdapterRegistry& registry(lua_State* L) {
  return *static_cast<adapter::AdapterRegistry*>(lua_touserdata(L, lua_upvalueindex(1)));
}

// netsim.link(adapter, up) -> true, or false when the adapter is not registered.
int netsim_link(lua_State* L) {
  lua_Integer index = luaL_checkinteger(L, 1);
  luaL_checktype(L, 2, LUA_TBOOLEAN);
  lua_pushboolean(L, registry(L).set_link(static_cast<int>(index), lua_toboolean(L, 2) != 0));
  return 1;
}

// Field `name` of the conditions table, in [0, limit] (limits keep the link's clock arithmetic in range).
lua_Integer field_integer(lua_State* L, const char* name, lua_Integer fallback, lua_Integer limit) {
  lua_getfield(L, 2, name);
  lua_Integer value = lua_isnil(L, -1) ? fallback : luaL_checkinteger(L, -1);
  if (value < 0 || value > limit) luaL_error(L, "netsim.set: %s must be 0..%I", name, limit);
  lua_pop(L, 1);
  return value;
}

constexpr lua_Integer kMaxDelayMs = lua_Integer{24} * 3600 * 1000;  // latency, jitter: a day
constexpr lua_Integer kMaxBandwidthKbps = 1'000'000'000;            // 1 Tbit/s
constexpr lua_Integer kMaxSendBuffer = lua_Integer{1} << 40;
constexpr lua_Integer kMaxSeed = 0xffffffff;

// netsim.set(adapter, {latency=ms, jitter=ms, loss=0..1, bandwidth=kbit/s, send_buffer=bytes, seed=n,
//                      gateway_reachable=bool})
// Fields left out keep their current values; one out of range is an error and changes nothing.
int netsim_set(lua_State* L) {
  auto index = static_cast<int>(luaL_checkinteger(L, 1));
  luaL_checktype(L, 2, LUA_TTABLE);
  adapter::Adapter* target = registry(L).find(index);
  if (target == nullptr) {
    lua_pushboolean(L, 0);
    return 1;
  }
  // Lives across checks that may raise (a longjmp): it must have no destructor to skip.
  static_assert(std::is_trivially_destructible_v<adapter::LinkConditions>);
  adapter::LinkConditions conditions = target->simulator().conditions();
  conditions.latency = std::chrono::milliseconds(field_integer(L, "latency", conditions.latency.count(), kMaxDelayMs));
  conditions.jitter = std::chrono::milliseconds(field_integer(L, "jitter", conditions.jitter.count(), kMaxDelayMs));
  conditions.bandwidth_bps =
      static_cast<std::uint64_t>(
          field_integer(L, "bandwidth", static_cast<lua_Integer>(conditions.bandwidth_bps / 1000), kMaxBandwidthKbps)) *
      1000;
  conditions.send_buffer = static_cast<std::size_t>(
      field_integer(L, "send_buffer", static_cast<lua_Integer>(conditions.send_buffer), kMaxSendBuffer));
  conditions.seed = static_cast<std::uint32_t>(field_integer(L, "seed", conditions.seed, kMaxSeed));
  lua_getfield(L, 2, "loss");
  if (!lua_isnil(L, -1)) {
    double loss = luaL_checknumber(L, -1);
    if (loss < 0 || loss > 1) return luaL_error(L, "netsim.set: loss must be 0..1");
    conditions.loss = loss;
  }
  lua_pop(L, 1);
  lua_getfield(L, 2, "gateway_reachable");
  if (!lua_isnil(L, -1)) {
    luaL_checktype(L, -1, LUA_TBOOLEAN);
    conditions.gateway_reachable = lua_toboolean(L, -1) != 0;
  }
  lua_pop(L, 1);
  lua_pushboolean(L, registry(L).set_conditions(index, conditions));
  return 1;
}

// netsim.get(adapter) -> the current conditions, or nil when the adapter is not simulated.
int netsim_get(lua_State* L) {
  adapter::Adapter* target = registry(L).find(static_cast<int>(luaL_checkinteger(L, 1)));
  if (target == nullptr || !target->simulator().enabled()) return 0;
  const auto& conditions = target->simulator().conditions();
  lua_createtable(L, 0, 8);
  lua_pushboolean(L, conditions.link_up);
  lua_setfield(L, -2, "link");
  lua_pushboolean(L, conditions.gateway_reachable);
  lua_setfield(L, -2, "gateway_reachable");
  const std::pair<const char*, lua_Integer> numbers[] = {
      {"latency", conditions.latency.count()},
      {"jitter", conditions.jitter.count()},
      {"bandwidth", static_cast<lua_Integer>(conditions.bandwidth_bps / 1000)},
      {"send_buffer", static_cast<lua_Integer>(conditions.send_buffer)},
      {"seed", conditions.seed}};
  for (const auto& [name, value] : numbers) {
    lua_pushinteger(L, value);
    lua_setfield(L, -2, name);
  }
  lua_pushnumber(L, conditions.loss);
  lua_setfield(L, -2, "loss");
  return 1;
}

}  // namespace

void open_netsim(LuaHost& host, adapter::AdapterRegistry& adapters) {
  lua_State* L = host.state();
  const luaL_Reg functions[] = {
      {"link", guarded<netsim_link>}, {"set", guarded<netsim_set>}, {"get", guarded<netsim_get>}, {nullptr, nullptr}};
  lua_newtable(L);
  lua_pushlightuserdata(L, &adapters);
  luaL_setfuncs(L, functions, 1);
  lua_setglobal(L, "netsim");
}

}  // namespace luatnet::lua
