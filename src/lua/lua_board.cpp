// Lua bindings layer: the board modules network drivers and demos touch on their way, for a device
// profile: `hmeta` (the profile's board), `gpio` (simulated pins), `spi`, `pm`, `wdt` and `airlink`
// (calls accepted with the firmware's returns, each logged once, since there is no hardware behind them),
// `adc` (channels of the profile) and netsim.gpio / netsim.adc, with which a test plays the outside world.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/logger.hpp"
#include "lua/lua_device.hpp"
#include "lua/lua_host.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

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

constexpr const char* kPinCallbacks = "luatnet.gpio.callbacks";  // registry: pin -> interrupt function

device::Board& board(lua_State* L) { return simulated_module(L).board(); }

int pin_setter(lua_State* L) {
  auto pin = static_cast<int>(lua_tointeger(L, lua_upvalueindex(2)));
  board(L).set_pin(pin, static_cast<int>(luaL_checkinteger(L, 1) != 0));
  return 0;
}

int pin_getter(lua_State* L) {
  auto pin = static_cast<int>(lua_tointeger(L, lua_upvalueindex(2)));
  lua_pushinteger(L, board(L).pin_level(pin));
  return 1;
}

void set_pin_callback(lua_State* L, lua_Integer pin, int function_index) {
  lua_getfield(L, LUA_REGISTRYINDEX, kPinCallbacks);
  if (function_index != 0) {
    lua_pushvalue(L, function_index);
  } else {
    lua_pushnil(L);
  }
  lua_rawseti(L, -2, pin);
  lua_pop(L, 1);
}

// gpio.count(pin) -> the interrupts a counting pin saw since the last call (and setup's counting mode).
int gpio_count(lua_State* L) {
  lua_Integer pin = luaL_checkinteger(L, 1);
  lua_pushinteger(L, pin >= 0 && pin <= 0xFFFF ? board(L).take_count(static_cast<int>(pin)) : 0);
  return 1;
}

// gpio.setup(pin, mode, pull, irq) -> a setter for an output (mode is its level), a getter for an input
// (mode nil) or an interrupt pin (mode a function, called as fn(level, pin) on the `irq` edge, default
// BOTH, when netsim.gpio drives the pin); nothing for a negative pin.
int gpio_setup(lua_State* L) {
  lua_Integer pin = luaL_checkinteger(L, 1);
  lua_Integer pull = opt_integer(L, 3, 0);
  lua_Integer edge = opt_integer(L, 4, device::kEdgeBoth);
  if (pin < 0 || pin > 0xFFFF) return 0;
  auto& pins = board(L);
  bool output = lua_isinteger(L, 2);
  bool counter = lua_tocfunction(L, 2) == guarded<gpio_count>;
  bool interrupt = lua_isfunction(L, 2) && !counter;
  using Mode = device::Board::PinMode;
  if (output) {
    pins.setup_pin(static_cast<int>(pin), Mode::Output, lua_tointeger(L, 2) != 0);
  } else {
    Mode mode = counter ? Mode::Counter : (interrupt ? Mode::Interrupt : Mode::Input);
    pins.setup_pin(static_cast<int>(pin), mode, static_cast<int>(pull), static_cast<int>(edge));
  }
  set_pin_callback(L, pin, interrupt ? 2 : 0);
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
  board(L).set_pin(static_cast<int>(pin), level != 0 ? 1 : 0);
  return 0;
}

int gpio_get(lua_State* L) {
  lua_pushinteger(L, board(L).pin_level(static_cast<int>(luaL_checkinteger(L, 1))));
  return 1;
}

int gpio_close(lua_State* L) {
  lua_Integer pin = luaL_checkinteger(L, 1);
  board(L).close_pin(static_cast<int>(pin));
  if (pin >= 0 && pin <= 0xFFFF) set_pin_callback(L, pin, 0);
  return 0;
}

// gpio.toggle(pin): an output's level flips.
int gpio_toggle(lua_State* L) {
  lua_Integer pin = luaL_checkinteger(L, 1);
  if (pin < 0 || pin > 0xFFFF) return 0;
  auto& pins = board(L);
  pins.set_pin(static_cast<int>(pin), pins.pin_level(static_cast<int>(pin)) == 0 ? 1 : 0);
  return 0;
}

// gpio.debounce(pin, ms, mode): nothing (mode 0 cools down after a report, 1 waits for the level to hold).
int gpio_debounce(lua_State* L) {
  lua_Integer pin = luaL_checkinteger(L, 1);
  lua_Integer ms = luaL_checkinteger(L, 2);
  lua_Integer mode = opt_integer(L, 3, 0);
  if (pin < 0 || pin > 0xFFFF) return 0;
  // As the firmware stores it: a 16-bit number of milliseconds.
  board(L).set_debounce(static_cast<int>(pin), std::chrono::milliseconds(ms & 0xFFFF), mode == 1 ? 1 : 0);
  return 0;
}

// gpio.pulse(pin, level, len, delay): nothing; the bits go out on a pin nobody watches (logged once).
int gpio_pulse(lua_State* L) {
  luaL_checkinteger(L, 1);
  if (!lua_isinteger(L, 2)) luaL_checkstring(L, 2);
  luaL_checkinteger(L, 3);
  luaL_checkinteger(L, 4);
  simulated_module(L).note_accepted("gpio.pulse");
  return 0;
}

// netsim.gpio(pin, level) -> true when the outside drove the pin, false for an output (the module drives it).
int netsim_gpio(lua_State* L) {
  lua_Integer pin = luaL_checkinteger(L, 1);
  lua_Integer level = luaL_checkinteger(L, 2);
  lua_pushboolean(L, pin >= 0 && pin <= 0xFFFF && board(L).drive_pin(static_cast<int>(pin), level != 0));
  return 1;
}

// adc ---------------------------------------------------------------------------------------------------------

int checked_channel(lua_State* L) {
  lua_Integer channel = luaL_checkinteger(L, 1);
  return channel < -0xFFFF || channel > 0xFFFF ? 0x10000 : static_cast<int>(channel);
}

// adc.open(id) -> whether the module has the channel.
int adc_open(lua_State* L) {
  lua_pushboolean(L, board(L).open_adc(checked_channel(L)));
  return 1;
}

constexpr lua_Integer kAdcReadFailed = 0xFF;  // adc.read's single return when it fails
constexpr lua_Integer kAdcGetFailed = -1;

// adc.read(id) -> raw, value of an open channel (the raw value is the value: there is no converter), or
// 0xFF alone.
int adc_read(lua_State* L) {
  auto value = board(L).read_adc(checked_channel(L));
  if (!value) {
    lua_pushinteger(L, kAdcReadFailed);
    return 1;
  }
  lua_pushinteger(L, *value);
  lua_pushinteger(L, *value);
  return 2;
}

// adc.get(id) -> the value of an open channel, or -1.
int adc_get(lua_State* L) {
  lua_pushinteger(L, board(L).read_adc(checked_channel(L)).value_or(kAdcGetFailed));
  return 1;
}

int adc_close(lua_State* L) {
  board(L).close_adc(checked_channel(L));
  return 0;
}

// netsim.adc(id, value) -> true, or false for a channel the module lacks.
int netsim_adc(lua_State* L) {
  int channel = checked_channel(L);
  lua_pushboolean(L, board(L).set_adc(channel, luaL_checkinteger(L, 2)));
  return 1;
}

// wdt ---------------------------------------------------------------------------------------------------------

// wdt.init(ms) / wdt.setTimeout(ms) -> true: arms the watchdog (a positive timeout within a day).
int wdt_arm(lua_State* L) {
  lua_Integer ms = luaL_checkinteger(L, 1);
  constexpr lua_Integer kLongest = lua_Integer{24} * 3600 * 1000;
  if (ms <= 0 || ms > kLongest) return luaL_argerror(L, 1, "timeout must be 1..86400000 ms");
  board(L).arm_watchdog(std::chrono::milliseconds(ms));
  lua_pushboolean(L, 1);
  return 1;
}

int wdt_feed(lua_State* L) {
  board(L).feed_watchdog();
  lua_pushboolean(L, 1);
  return 1;
}

int wdt_close(lua_State* L) {
  board(L).close_watchdog();
  lua_pushboolean(L, 1);
  return 1;
}

// pm ----------------------------------------------------------------------------------------------------------

constexpr lua_Integer kSleepDeep = 3;
constexpr lua_Integer kSleepHib = 4;
constexpr lua_Integer kPowerWorkMode = 6;
constexpr lua_Integer kWorkModeDeepest = 3;  // PSM+: the radio powers down

// pm.request(mode, chip) -> true. DEEP and HIB on the main chip put the radio to sleep, the other modes
// wake it (see SimulatedModule::request_deep_sleep).
int pm_request(lua_State* L) {
  lua_Integer mode = luaL_checkinteger(L, 1);
  lua_Integer chip = opt_integer(L, 2, 0);
  if (chip == 0) {
    bool asleep = mode == kSleepDeep || mode == kSleepHib;
    simulated_module(L).request_deep_sleep(asleep, "pm.request(" + std::to_string(mode) + ")");
  } else {
    simulated_module(L).note_accepted("pm.request on chip " + std::to_string(chip));
  }
  lua_pushboolean(L, 1);
  return 1;
}

// pm.power(id, on, chip) -> true. WORK_MODE 3 puts the radio to sleep, 0..2 wake it; other ids are accepted.
int pm_power(lua_State* L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  lua_Integer value = lua_isboolean(L, 2) ? lua_toboolean(L, 2) : lua_tointeger(L, 2);
  if (id == kPowerWorkMode) {
    simulated_module(L).request_deep_sleep(value >= kWorkModeDeepest,
                                           "pm.power(WORK_MODE, " + std::to_string(value) + ")");
  } else {
    simulated_module(L).note_accepted("pm.power");
  }
  lua_pushboolean(L, 1);
  return 1;
}

// pm.dtimerStart(id, ms) -> true when timer id (0..6) runs; false for another id or a timeout outside
// 1 ms..740 h (the longest the firmware's timers take). When it fires: DTIMER_WAKEUP, or after a deep sleep
// request the device boots afresh (see wire_board_events).
int pm_dtimer_start(lua_State* L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  lua_Integer ms = luaL_checkinteger(L, 2);
  constexpr lua_Integer kLongest = lua_Integer{740} * 3600 * 1000;
  bool started = id >= 0 && id <= device::Board::kLastDtimer && ms > 0 && ms <= kLongest &&
                 board(L).start_dtimer(static_cast<int>(id), std::chrono::milliseconds(ms));
  lua_pushboolean(L, started);
  return 1;
}

int pm_dtimer_stop(lua_State* L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  if (id >= 0 && id <= device::Board::kLastDtimer) board(L).stop_dtimer(static_cast<int>(id));
  return 0;
}

// pm.dtimerCheck(id) -> true and the milliseconds left while it runs, false otherwise.
int pm_dtimer_check(lua_State* L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  auto left = id >= 0 && id <= device::Board::kLastDtimer ? board(L).dtimer_left(static_cast<int>(id)) : std::nullopt;
  lua_pushboolean(L, left.has_value());
  if (!left) return 1;
  lua_pushinteger(L, left->count());
  return 2;
}

// pm.ioVol(id, mV) -> true (the pins' voltage is nobody's concern on the PC; logged once).
int pm_io_voltage(lua_State* L) {
  opt_integer(L, 1, 0);
  if (!lua_isboolean(L, 2)) opt_integer(L, 2, 0);
  return accepted<1>(L);
}

// pm.reboot(): rtos.reboot under its other name.
int pm_reboot(lua_State* L) { reboot_device(LuaHost::from(L), "pm.reboot"); }

// pm.shutdown(): the device powers off; the run ends with exit code 0.
int pm_shutdown(lua_State*) {
  Logger::instance().log(LogLevel::Info, "pm", "shutdown: the device powers off");
  std::fflush(nullptr);
  std::exit(0);
}

// pm.lastReson() -> 0, 0, 0: powered on normally (the run is always a fresh start).
int pm_last_reason(lua_State* L) {
  for (int i = 0; i < 3; ++i) lua_pushinteger(L, 0);
  return 3;
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
                   {"close", guarded<gpio_close>},
                   {"toggle", guarded<gpio_toggle>},
                   {"debounce", guarded<gpio_debounce>},
                   {"count", guarded<gpio_count>},
                   {"pulse", guarded<gpio_pulse>}});
  // luat_gpio_legacy.h's values.
  set_constants(L, {{"LOW", 0},
                    {"HIGH", 1},
                    {"PULLUP", device::kPullUp},
                    {"PULLDOWN", 2},
                    {"RISING", device::kEdgeRising},
                    {"FALLING", device::kEdgeFalling},
                    {"BOTH", device::kEdgeBoth},
                    {"HIGH_IRQ", device::kLevelHigh},
                    {"LOW_IRQ", device::kLevelLow},
                    {"OUTPUT", 0},
                    {"NONE", 0xFF}});
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
                  {{"request", guarded<pm_request>},
                   {"power", guarded<pm_power>},
                   {"lastReson", guarded<pm_last_reason>},
                   {"ioVol", guarded<pm_io_voltage>},
                   {"reboot", guarded<pm_reboot>},
                   {"shutdown", guarded<pm_shutdown>},
                   {"dtimerStart", guarded<pm_dtimer_start>},
                   {"dtimerStop", guarded<pm_dtimer_stop>},
                   {"dtimerCheck", guarded<pm_dtimer_check>},
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
                    {"WIFI", 10},
                    {"IOVOL_ALL_GPIO", 0},
                    {"IOVOL_SDIO", 1},
                    {"IOVOL_LCD", 2},
                    {"IOVOL_CAMA", 3},
                    {"IOVOL_CAMD", 4},
                    {"ID_NATIVE", 0},
                    {"ID_WIFI", 1}});
  lua_setglobal(L, "pm");

  new_board_table(L, module, "wdt",
                  {{"init", guarded<wdt_arm>},
                   {"setTimeout", guarded<wdt_arm>},
                   {"feed", guarded<wdt_feed>},
                   {"close", guarded<wdt_close>}});
  lua_setglobal(L, "wdt");

  new_board_table(L, module, "adc",
                  {{"open", guarded<adc_open>},
                   {"read", guarded<adc_read>},
                   {"get", guarded<adc_get>},
                   {"close", guarded<adc_close>},
                   {"setRange", guarded<checked_accepted<1, 0>>}});
  // luat_adc.h's values (ADC_RANGE_3_8 and ADC_RANGE_MAX are positions in its range enumeration).
  set_constants(L, {{"CH_CPU", device::kAdcCpu},
                    {"CH_VBAT", device::kAdcVbat},
                    {"ADC_RANGE_3_6", 1},
                    {"ADC_RANGE_1_8", 0},
                    {"ADC_RANGE_3_8", 8},
                    {"ADC_RANGE_1_2", 0},
                    {"ADC_RANGE_MAX", 14},
                    {"ADC_RANGE_MIN", 0},
                    {"T1", 16},
                    {"T2", 32}});
  lua_setglobal(L, "adc");

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

  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kPinCallbacks);
  if (lua_getglobal(L, "netsim") == LUA_TTABLE) {
    const std::pair<const char*, lua_CFunction> host_only[] = {{"gpio", guarded<netsim_gpio>},
                                                               {"adc", guarded<netsim_adc>}};
    for (const auto& [name, function] : host_only) {
      lua_pushlightuserdata(L, &module);
      lua_pushcclosure(L, function, 1);
      lua_setfield(L, -2, name);
    }
  }
  lua_pop(L, 1);
}

void wire_board_events(LuaHost& host, device::SimulatedModule& module) {
  module.board().set_pin_listener([&host](int pin, int level) {
    host.post([pin, level](lua_State* L) {
      lua_getfield(L, LUA_REGISTRYINDEX, kPinCallbacks);
      lua_rawgeti(L, -1, pin);
      lua_remove(L, -2);
      if (!lua_isfunction(L, -1)) {
        lua_pop(L, 1);
        return;
      }
      lua_pushinteger(L, level);
      lua_pushinteger(L, pin);
      LuaHost::from(L).protected_call(L, 2);
    });
  });
  // A deep sleep timer: DTIMER_WAKEUP while the device is awake; after a deep sleep request the device
  // was asleep and boots afresh, as a wake-up from DEEP, HIB or PSM+ does.
  module.board().set_dtimer_listener([&host, &module](int id) {
    if (module.deep_sleep_requested()) {
      Logger::instance().log(LogLevel::Info, "pm", "deep sleep timer " + std::to_string(id) + " wakes the device");
      reboot_device(host, "wake-up from deep sleep");
    }
    host.post([id](lua_State* L) {
      lua_getglobal(L, "sys_pub");
      lua_pushliteral(L, "DTIMER_WAKEUP");
      lua_pushinteger(L, id);
      LuaHost::from(L).protected_call(L, 2);
    });
  });
  // The hardware watchdog resets the module when nobody fed it in time: the run ends as rtos.reboot ends it.
  module.board().set_watchdog_listener([&host](std::chrono::milliseconds timeout) {
    Logger::instance().log(LogLevel::Error, "wdt",
                           "not fed within " + std::to_string(timeout.count()) + " ms: the watchdog resets the device");
    reboot_device(host, "watchdog reset");
  });
}

}  // namespace luatnet::lua
