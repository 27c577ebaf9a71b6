// Lua bindings layer: the board modules network drivers and demos touch on their way, for a device
// profile: `hmeta` (the profile's board), `gpio` (simulated pins), `spi`, `pm`, `wdt` and `airlink`
// (calls accepted with the firmware's returns, each logged once, since there is no hardware behind them).
#include <string>

#include "lua/lua_device.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr int kPullUp = 1;

template <std::string device::DeviceProfile::*Field>
int profile_text(lua_State* L) {
  const auto& text = simulated_module(L).profile().*Field;
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

// The name logged for an accepted call: the upvalue set at registration.
const char* call_name(lua_State* L) { return lua_tostring(L, lua_upvalueindex(2)); }

// Accepted calls: logged once, then `true` (Returns 1) or nothing (Returns 0).
template <int Returns>
int accepted(lua_State* L) {
  simulated_module(L).note_accepted(call_name(L));
  if (Returns == 0) return 0;
  lua_pushboolean(L, 1);
  return 1;
}

// gpio --------------------------------------------------------------------------------------------------------

int pin_setter(lua_State* L) {
  auto pin = static_cast<int>(lua_tointeger(L, lua_upvalueindex(2)));
  simulated_module(L).set_pin(pin, static_cast<int>(luaL_checkinteger(L, 1)) != 0 ? 1 : 0);
  return 0;
}

int pin_getter(lua_State* L) {
  auto pin = static_cast<int>(lua_tointeger(L, lua_upvalueindex(2)));
  lua_pushinteger(L, simulated_module(L).pin_level(pin));
  return 1;
}

// gpio.setup(pin, mode, pull, irq) -> a setter for an output (mode is its level), a getter for an input
// (mode nil) or an interrupt pin (mode a function; no edges happen on the PC).
int gpio_setup(lua_State* L) {
  lua_Integer pin = luaL_checkinteger(L, 1);
  lua_Integer pull = opt_integer(L, 3, 0);
  auto& module = simulated_module(L);
  bool output = lua_isinteger(L, 2);
  if (output) {
    module.set_pin(static_cast<int>(pin), lua_tointeger(L, 2) != 0 ? 1 : 0);
  } else {
    module.set_pin(static_cast<int>(pin), pull == kPullUp ? 1 : 0);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushinteger(L, pin);
  if (output) {
    lua_pushcclosure(L, guarded<pin_setter>, 2);
  } else {
    lua_pushcclosure(L, guarded<pin_getter>, 2);
  }
  return 1;
}

int gpio_set(lua_State* L) {
  lua_Integer pin = luaL_checkinteger(L, 1);
  lua_Integer level = luaL_checkinteger(L, 2);
  simulated_module(L).set_pin(static_cast<int>(pin), level != 0 ? 1 : 0);
  return 0;
}

int gpio_get(lua_State* L) {
  lua_pushinteger(L, simulated_module(L).pin_level(static_cast<int>(luaL_checkinteger(L, 1))));
  return 1;
}

int gpio_close(lua_State* L) {
  simulated_module(L).close_pin(static_cast<int>(luaL_checkinteger(L, 1)));
  return 0;
}

// spi.setup(id, cs, cpha, cpol, width, baud, ...) -> 0 (opened).
int spi_setup(lua_State* L) {
  luaL_checkinteger(L, 1);
  simulated_module(L).note_accepted("spi.setup");
  lua_pushinteger(L, 0);
  return 1;
}

// pm.request(mode) / pm.power(id, on) / pm.dtimerStart(id, ms) / wdt.init(ms) -> true, airlink.start(mode)
// -> nothing: the leading integer arguments checked, logged once.
template <int Integers, int Returns = 1>
int checked_accepted(lua_State* L) {
  for (int argument = 1; argument <= Integers; ++argument) luaL_checkinteger(L, argument);
  return accepted<Returns>(L);
}

void new_board_table(lua_State* L, device::SimulatedModule& module, const char* prefix,
                     std::initializer_list<std::pair<const char*, lua_CFunction>> functions) {
  lua_newtable(L);
  for (const auto& [name, function] : functions) {
    lua_pushlightuserdata(L, &module);
    lua_pushfstring(L, "%s.%s", prefix, name);
    lua_pushcclosure(L, function, 2);
    lua_setfield(L, -2, name);
  }
}

void set_constants(lua_State* L, std::initializer_list<std::pair<const char*, int>> constants) {
  for (const auto& [name, value] : constants) set_integer_field(L, name, value);
}

}  // namespace

void open_board(lua_State* L, device::SimulatedModule& module) {
  new_board_table(L, module, "hmeta",
                  {{"model", guarded<profile_text<&device::DeviceProfile::model>>},
                   {"hwver", guarded<profile_text<&device::DeviceProfile::hwver>>},
                   {"chip", guarded<profile_text<&device::DeviceProfile::chip>>}});
  lua_setglobal(L, "hmeta");

  new_board_table(L, module, "gpio",
                  {{"setup", guarded<gpio_setup>},
                   {"set", guarded<gpio_set>},
                   {"get", guarded<gpio_get>},
                   {"close", guarded<gpio_close>}});
  // luat_gpio_legacy.h's values.
  set_constants(
      L, {{"LOW", 0}, {"HIGH", 1}, {"PULLUP", kPullUp}, {"PULLDOWN", 2}, {"RISING", 0}, {"FALLING", 1}, {"BOTH", 2}});
  lua_setglobal(L, "gpio");

  new_board_table(L, module, "spi", {{"setup", guarded<spi_setup>}});
  set_constants(L, {{"MSB", 1},
                    {"LSB", 0},
                    {"master", 1},
                    {"slave", 0},
                    {"full", 1},
                    {"half", 0},
                    {"SPI_0", 0},
                    {"SPI_1", 1},
                    {"SPI_2", 2},
                    {"SPI_3", 3}});
  lua_setglobal(L, "spi");

  new_board_table(L, module, "pm",
                  {{"request", guarded<checked_accepted<1>>},
                   {"power", guarded<checked_accepted<1>>},
                   {"dtimerStart", guarded<checked_accepted<2>>},
                   {"dtimerStop", guarded<checked_accepted<1>>},
                   {"wakeupPin", guarded<checked_accepted<1>>}});
  // luat_pm.h's values.
  set_constants(L, {{"NONE", 0},
                    {"IDLE", 1},
                    {"LIGHT", 2},
                    {"DEEP", 3},
                    {"HIB", 4},
                    {"USB", 0},
                    {"GPS", 1},
                    {"GPS_ANT", 2},
                    {"CAMERA", 3},
                    {"DAC_EN", 4},
                    {"PWK_MODE", 5},
                    {"WORK_MODE", 6},
                    {"LDO_CTL", 7},
                    {"WIFI_STA_DTIM", 8},
                    {"WIFI_AP_DTIM", 9},
                    {"WIFI", 10}});
  lua_setglobal(L, "pm");

  new_board_table(L, module, "wdt", {{"init", guarded<checked_accepted<1>>}, {"feed", guarded<accepted<1>>}});
  lua_setglobal(L, "wdt");

  new_board_table(L, module, "airlink",
                  {{"init", guarded<accepted<0>>},
                   {"start", guarded<checked_accepted<1, 0>>},
                   {"stop", guarded<checked_accepted<1, 0>>},
                   {"config", guarded<checked_accepted<1>>}});
  // luat_airlink.h's values.
  set_constants(L, {{"MODE_SPI_SLAVE", 0},
                    {"MODE_SPI_MASTER", 1},
                    {"MODE_UART", 2},
                    {"MODE_HSPI_MASTER", 4},
                    {"CONF_SPI_ID", 0x100},
                    {"CONF_SPI_CS", 0x102},
                    {"CONF_SPI_RDY", 0x103},
                    {"CONF_SPI_IRQ", 0x104},
                    {"CONF_SPI_SPEED", 0x105},
                    {"CONF_UART_ID", 0x106},
                    {"CONF_IRQ_TIMEOUT", 0x107}});
  lua_setglobal(L, "airlink");
}

}  // namespace luatnet::lua
