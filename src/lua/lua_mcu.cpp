// Lua bindings layer: `mcu`, the parts that mean something on a PC: ticks (ms since start, hz 1000),
// tick64/dtick64/ticks2 on a microsecond counter (one tick per microsecond, as the PC simulator), x32,
// and unique_id (16 bytes derived from the machine id, so stable per machine; see docs/helpers.md).
#include <mbedtls/md.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "common/device_clock.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr lua_Integer kTicksPerMicrosecond = 1;

// The device's uptime counter, which socket.ntptm reads too.
std::uint64_t microseconds_since_start() { return static_cast<std::uint64_t>(device_clock::uptime_us()); }

int mcu_ticks(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(microseconds_since_start() / 1000));
  return 1;
}

int mcu_hz(lua_State* L) {
  lua_pushinteger(L, 1000);
  return 1;
}

// mcu.tick64(as_bit64) -> 8 bytes (the uint64 tick, little-endian), ticks per microsecond. With true, the
// 9-byte form of the bit64 library (the same 8 bytes and a type byte 0 for an integer).
int mcu_tick64(lua_State* L) {
  std::uint64_t tick = microseconds_since_start();
  char bytes[9] = {};
  std::memcpy(bytes, &tick, sizeof tick);
  bool as_bit64 = lua_isboolean(L, 1) && lua_toboolean(L, 1);
  lua_pushlstring(L, bytes, as_bit64 ? 9 : 8);
  lua_pushinteger(L, kTicksPerMicrosecond);
  return 2;
}

// mcu.dtick64(a, b, reference = 0) -> a - b >= reference, a - b (ticks from tick64 strings).
int mcu_dtick64(lua_State* L) {
  auto first = check_view(L, 1);
  auto second = check_view(L, 2);
  lua_Integer reference = luaL_optinteger(L, 3, 0);
  if (first.size() > 8 || second.size() > 8) return luaL_error(L, "tick string too long");
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::memcpy(&a, first.data(), first.size());
  std::memcpy(&b, second.data(), second.size());
  auto difference = static_cast<std::int64_t>(a - b);
  lua_pushboolean(L, difference >= reference);
  lua_pushinteger(L, static_cast<lua_Integer>(difference));
  return 2;
}

// mcu.ticks2(mode = 0) -> high, low: mode 0 microseconds split at 10^6 (seconds, microseconds), 1 milliseconds
// split at 10^6, 2 seconds split at 10^6; nothing for another mode.
int mcu_ticks2(lua_State* L) {
  lua_Integer mode = luaL_optinteger(L, 1, 0);
  std::uint64_t value = microseconds_since_start();
  switch (mode) {
    case 0:
      break;
    case 1:
      value /= 1000;
      break;
    case 2:
      value /= 1000000;
      break;
    default:
      return 0;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(static_cast<std::uint32_t>(value / 1000000)));
  lua_pushinteger(L, static_cast<lua_Integer>(static_cast<std::uint32_t>(value % 1000000)));
  return 2;
}

// mcu.x32(value) -> "0x" and the low 32 bits in lower-case hex, no padding.
int mcu_x32(lua_State* L) {
  auto value = static_cast<std::uint32_t>(luaL_checkinteger(L, 1));
  char text[16];
  std::snprintf(text, sizeof text, "0x%x", static_cast<unsigned>(value));
  lua_pushstring(L, text);
  return 1;
}

// 16 bytes: HMAC-SHA256 of the machine id (never handed out as is, per machine-id(5)), keyed by a
// luatnet-specific label. Empty (as the firmware when the chip has none) when no machine id exists.
std::string machine_unique_id() {
  for (const char* path : {"/etc/machine-id", "/var/lib/dbus/machine-id"}) {
    std::ifstream file(path);
    std::string id;
    if (file >> id && !id.empty()) {
      static constexpr char kLabel[] = "luatnet mcu.unique_id";
      unsigned char digest[32];
      mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), reinterpret_cast<const unsigned char*>(kLabel),
                      sizeof kLabel - 1, reinterpret_cast<const unsigned char*>(id.data()), id.size(), digest);
      return {reinterpret_cast<const char*>(digest), 16};
    }
  }
  return {};
}

int mcu_unique_id(lua_State* L) {
  static const std::string id = machine_unique_id();
  lua_pushlstring(L, id.data(), id.size());
  return 1;
}

// mcu.hardfault(mode): what the chip does after a crash; a PC process has nothing to set.
int mcu_hardfault(lua_State* L) {
  luaL_optinteger(L, 1, 0);
  return 0;
}

}  // namespace

void open_mcu(lua_State* L) {
  const luaL_Reg mcu[] = {{"ticks", guarded<mcu_ticks>},
                          {"hz", guarded<mcu_hz>},
                          {"tick64", guarded<mcu_tick64>},
                          {"dtick64", guarded<mcu_dtick64>},
                          {"ticks2", guarded<mcu_ticks2>},
                          {"x32", guarded<mcu_x32>},
                          {"unique_id", guarded<mcu_unique_id>},
                          {"hardfault", guarded<mcu_hardfault>},
                          {nullptr, nullptr}};
  luaL_newlib(L, mcu);
  lua_setglobal(L, "mcu");
}

}  // namespace luatnet::lua
