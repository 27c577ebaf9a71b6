// Lua bindings layer: the device's wall clock (common/device_clock) for scripts. os.time and os.date
// read it instead of the host's clock, so that a time sync (socket.sntp) moves them as it moves the RTC on
// the device (with an explicit table or time they are Lua's own functions, unchanged); rtc.get and
// rtc.set read and set it in UTC, as the firmware's rtc module does. rtc.timezone reads the host's zone
// until a script sets one; from then on os.date and os.time(table) use the zone set, as on the device.
#include <ctime>
#include <optional>

#include "common/device_clock.hpp"
#include "common/logger.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr const char* kTimezoneKey = "luatnet.rtc.timezone";  // registry: quarter hours east of UTC
constexpr lua_Integer kQuarterSeconds = 15 * 60;

// The zone a script set with rtc.timezone, in quarter hours; nullopt while it follows the host's.
std::optional<lua_Integer> set_timezone(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, kTimezoneKey);
  std::optional<lua_Integer> quarters;
  if (lua_isinteger(L, -1)) quarters = lua_tointeger(L, -1);
  lua_pop(L, 1);
  return quarters;
}

// The host's offset from UTC at `when`, in seconds.
lua_Integer host_offset(std::time_t when) {
  std::tm local{};
  return localtime_r(&when, &local) != nullptr ? local.tm_gmtoff : 0;
}

lua_Integer device_seconds() {
  std::int64_t ms = device_clock::now_ms();
  return static_cast<lua_Integer>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
}

// os.time([table]); upvalue 1 is Lua's own os.time. A table is local time: in the zone set, if any.
int os_time(lua_State* L) {
  if (!lua_isnoneornil(L, 1)) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    auto zone = set_timezone(L);
    if (zone && lua_isinteger(L, -1)) {
      lua_Integer host_time = lua_tointeger(L, -1);
      lua_pushinteger(L, host_time + host_offset(static_cast<std::time_t>(host_time)) - *zone * kQuarterSeconds);
    }
    return 1;
  }
  lua_pushinteger(L, device_seconds());
  return 1;
}

// os.date([format [, time]]); upvalue 1 is Lua's own os.date.
int os_date(lua_State* L) {
  bool with_time = !lua_isnoneornil(L, 2);
  lua_settop(L, 2);
  if (!with_time) {
    lua_pushinteger(L, device_seconds());
    lua_replace(L, 2);
  }
  // Local time in a zone the script set: UTC ("!") of the time moved by the zone's offset.
  auto zone = set_timezone(L);
  size_t length = 0;
  const char* format = lua_isnoneornil(L, 1) ? "%c" : luaL_checklstring(L, 1, &length);
  if (zone && format[0] != '!' && lua_isinteger(L, 2)) {
    lua_pushliteral(L, "!");
    lua_pushvalue(L, 1);
    if (lua_isnil(L, -1)) {
      lua_pop(L, 1);
      lua_pushliteral(L, "%c");
    }
    lua_concat(L, 2);
    lua_replace(L, 1);
    lua_pushinteger(L, lua_tointeger(L, 2) + *zone * kQuarterSeconds);
    lua_replace(L, 2);
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, 2, 1);
  return 1;
}

// rtc.get(): {year, mon, day, hour, min, sec} in UTC.
int rtc_get(lua_State* L) {
  auto seconds = static_cast<std::time_t>(device_seconds());
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return 0;
  lua_createtable(L, 0, 6);
  const std::pair<const char*, int> fields[] = {{"year", utc.tm_year + 1900}, {"mon", utc.tm_mon + 1},
                                                {"day", utc.tm_mday},         {"hour", utc.tm_hour},
                                                {"min", utc.tm_min},          {"sec", utc.tm_sec}};
  for (const auto& [name, value] : fields) {
    lua_pushinteger(L, value);
    lua_setfield(L, -2, name);
  }
  return 1;
}

bool valid_date(lua_Integer year, lua_Integer month, lua_Integer day) {
  if (year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= kDays[month - 1] + (month == 2 && leap ? 1 : 0);
}

void set_device_seconds(lua_Integer seconds) { device_clock::set_now_ms(static_cast<std::int64_t>(seconds) * 1000); }

int rtc_refuse(lua_State* L, const char* why) {
  Logger::instance().log(LogLevel::Warn, "rtc", why);
  lua_pushboolean(L, 0);
  return 1;
}

// rtc.set(table | Unix seconds): true when the clock was set. As the firmware: a table with a field
// missing gives nothing, a date out of range false.
int rtc_set(lua_State* L) {
  if (lua_isinteger(L, 1)) {
    lua_Integer seconds = lua_tointeger(L, 1);
    if (seconds <= 0 || seconds > 0xFFFFFFFFLL) return rtc_refuse(L, "rtc time invalid timestamp");
    set_device_seconds(seconds);
    lua_pushboolean(L, 1);
    return 1;
  }
  if (!lua_istable(L, 1)) return rtc_refuse(L, "rtc time need table or integer");
  const char* names[] = {"year", "mon", "day", "hour", "min", "sec"};
  lua_Integer values[6] = {};
  for (int i = 0; i < 6; ++i) {
    lua_getfield(L, 1, names[i]);
    if (!lua_isnumber(L, -1)) {
      Logger::instance().log(LogLevel::Warn, "rtc", std::string("rtc time miss ") + names[i]);
      return 0;
    }
    values[i] = luaL_checkinteger(L, -1);
    lua_pop(L, 1);
  }
  if (!valid_date(values[0], values[1], values[2]) || values[3] < 0 || values[3] > 23 || values[4] < 0 ||
      values[4] > 59 || values[5] < 0 || values[5] > 59) {
    return rtc_refuse(L, "rtc time invalid");
  }
  std::tm utc{};
  utc.tm_year = static_cast<int>(values[0] - 1900);
  utc.tm_mon = static_cast<int>(values[1] - 1);
  utc.tm_mday = static_cast<int>(values[2]);
  utc.tm_hour = static_cast<int>(values[3]);
  utc.tm_min = static_cast<int>(values[4]);
  utc.tm_sec = static_cast<int>(values[5]);
  set_device_seconds(timegm(&utc));
  lua_pushboolean(L, 1);
  return 1;
}

// rtc.timezone(quarters) -> the zone in quarter hours east of UTC (the host's until one is set); false for
// a non-integer, or one outside -48..48 or not a whole hour, as the firmware refuses them.
int rtc_timezone(lua_State* L) {
  if (lua_gettop(L) > 0) {
    if (!lua_isinteger(L, 1)) return rtc_refuse(L, "rtc timezone invalid parameter type");
    lua_Integer quarters = lua_tointeger(L, 1);
    if (quarters < -48 || quarters > 48 || quarters % 4 != 0) {
      lua_pushboolean(L, 0);
      return 1;
    }
    lua_pushinteger(L, quarters);
    lua_setfield(L, LUA_REGISTRYINDEX, kTimezoneKey);
  }
  auto zone = set_timezone(L);
  lua_pushinteger(L, zone ? *zone : host_offset(static_cast<std::time_t>(device_seconds())) / kQuarterSeconds);
  return 1;
}

}  // namespace

void open_device_time(lua_State* L) {
  const luaL_Reg rtc[] = {
      {"get", guarded<rtc_get>}, {"set", guarded<rtc_set>}, {"timezone", guarded<rtc_timezone>}, {nullptr, nullptr}};
  luaL_newlib(L, rtc);
  lua_setglobal(L, "rtc");

  lua_getglobal(L, "os");
  lua_getfield(L, -1, "time");
  lua_pushcclosure(L, guarded<os_time>, 1);
  lua_setfield(L, -2, "time");
  lua_getfield(L, -1, "date");
  lua_pushcclosure(L, guarded<os_date>, 1);
  lua_setfield(L, -2, "date");
  lua_pop(L, 1);
}

}  // namespace luatnet::lua
