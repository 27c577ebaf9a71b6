// Lua bindings layer: LuatOS's `bit` module, also its `bit32` (Lua 5.2's bit32 plus bit, set, clear, isset, isclear)
// with the firmware's integer rules on its 64-bit VM, the one luatnet runs: band, bor, bxor, bnot, shifts,
// rotations, extract and replace work on 32 bits and return them unsigned (bit.bnot(0) == 0xFFFFFFFF);
// bit, set, clear, isset and isclear build their mask as a C int (1 << pos), so position 31 is the
// sign bit and sign-extends (bit.bit(31) == -0x80000000). Positions outside 0..31 are an argument error
// (undefined in the firmware's C).
#include <cstdint>

#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr int kBits = 32;
constexpr lua_Unsigned kAllOnes = 0xFFFFFFFFu;

lua_Unsigned check_unsigned(lua_State* L, int index) { return static_cast<lua_Unsigned>(luaL_checkinteger(L, index)); }

int push_unsigned(lua_State* L, lua_Unsigned value) {
  lua_pushinteger(L, static_cast<lua_Integer>(value & kAllOnes));
  return 1;
}

lua_Unsigned and_all(lua_State* L) {
  lua_Unsigned result = ~lua_Unsigned{0};
  for (int i = 1, n = lua_gettop(L); i <= n; ++i) result &= check_unsigned(L, i);
  return result & kAllOnes;
}

int bit_band(lua_State* L) { return push_unsigned(L, and_all(L)); }

int bit_btest(lua_State* L) {
  lua_pushboolean(L, and_all(L) != 0);
  return 1;
}

int bit_bor(lua_State* L) {
  lua_Unsigned result = 0;
  for (int i = 1, n = lua_gettop(L); i <= n; ++i) result |= check_unsigned(L, i);
  return push_unsigned(L, result);
}

int bit_bxor(lua_State* L) {
  lua_Unsigned result = 0;
  for (int i = 1, n = lua_gettop(L); i <= n; ++i) result ^= check_unsigned(L, i);
  return push_unsigned(L, result);
}

int bit_bnot(lua_State* L) { return push_unsigned(L, ~check_unsigned(L, 1)); }

// A negative count shifts the other way; 32 or more clears every bit.
int shift(lua_State* L, lua_Unsigned value, lua_Integer count) {
  if (count < 0) {
    value &= kAllOnes;
    return push_unsigned(L, count <= -kBits ? 0 : value >> -count);
  }
  return push_unsigned(L, count >= kBits ? 0 : value << count);
}

int bit_lshift(lua_State* L) {
  lua_Unsigned value = check_unsigned(L, 1);
  return shift(L, value, luaL_checkinteger(L, 2));
}

int bit_rshift(lua_State* L) {
  lua_Unsigned value = check_unsigned(L, 1);
  lua_Integer count = luaL_checkinteger(L, 2);
  return shift(L, value, count == LUA_MININTEGER ? LUA_MAXINTEGER : -count);
}

// Fills from bit 31 when it is set (a "negative" 32-bit value).
int bit_arshift(lua_State* L) {
  lua_Unsigned value = check_unsigned(L, 1);
  lua_Integer count = luaL_checkinteger(L, 2);
  if (count < 0 || !(value & (lua_Unsigned{1} << (kBits - 1)))) {
    return shift(L, value, count == LUA_MININTEGER ? LUA_MAXINTEGER : -count);
  }
  if (count >= kBits) return push_unsigned(L, kAllOnes);
  return push_unsigned(L, ((value & kAllOnes) >> count) | ~(kAllOnes >> count));
}

int rotate(lua_State* L, lua_Integer by) {
  lua_Unsigned value = check_unsigned(L, 1) & kAllOnes;
  int amount = static_cast<int>(by & (kBits - 1));
  if (amount != 0) value = (value << amount) | (value >> (kBits - amount));
  return push_unsigned(L, value);
}

int bit_lrotate(lua_State* L) { return rotate(L, luaL_checkinteger(L, 2)); }
int bit_rrotate(lua_State* L) { return rotate(L, -(luaL_checkinteger(L, 2) & (kBits - 1))); }

// extract/replace: a field of `width` bits (default 1) from bit `field`, inside the 32 bits.
struct Field {
  int shift;
  lua_Unsigned mask;
};

Field check_field(lua_State* L, int index) {
  lua_Integer field = luaL_checkinteger(L, index);
  lua_Integer width = luaL_optinteger(L, index + 1, 1);
  luaL_argcheck(L, field >= 0, index, "field cannot be negative");
  luaL_argcheck(L, width > 0, index + 1, "width must be positive");
  if (field + width > kBits) luaL_error(L, "trying to access non-existent bits");
  return {static_cast<int>(field), kAllOnes >> (kBits - width)};
}

int bit_extract(lua_State* L) {
  lua_Unsigned value = check_unsigned(L, 1) & kAllOnes;
  Field field = check_field(L, 2);
  return push_unsigned(L, (value >> field.shift) & field.mask);
}

int bit_replace(lua_State* L) {
  lua_Unsigned value = check_unsigned(L, 1) & kAllOnes;
  lua_Unsigned part = check_unsigned(L, 2) & kAllOnes;
  Field field = check_field(L, 3);
  return push_unsigned(L, (value & ~(field.mask << field.shift)) | ((part & field.mask) << field.shift));
}

// The firmware's (1 << pos) as a C int, widened to the VM's integer: bit 31 sign-extends.
lua_Integer check_position_mask(lua_State* L, int index) {
  lua_Integer position = luaL_checkinteger(L, index);
  luaL_argcheck(L, position >= 0 && position < kBits, index, "bit position must be 0..31");
  return static_cast<lua_Integer>(static_cast<std::int32_t>(std::uint32_t{1} << position));
}

int bit_bit(lua_State* L) {
  lua_pushinteger(L, check_position_mask(L, 1));
  return 1;
}

int bit_set(lua_State* L) {
  lua_Unsigned value = check_unsigned(L, 1);
  for (int i = 2, n = lua_gettop(L); i <= n; ++i) value |= static_cast<lua_Unsigned>(check_position_mask(L, i));
  lua_pushinteger(L, static_cast<lua_Integer>(value));
  return 1;
}

int bit_clear(lua_State* L) {
  lua_Unsigned value = check_unsigned(L, 1);
  for (int i = 2, n = lua_gettop(L); i <= n; ++i) value &= ~static_cast<lua_Unsigned>(check_position_mask(L, i));
  lua_pushinteger(L, static_cast<lua_Integer>(value));
  return 1;
}

int bit_isset(lua_State* L) {
  lua_Unsigned value = check_unsigned(L, 1);
  lua_pushboolean(L, (value & static_cast<lua_Unsigned>(check_position_mask(L, 2))) != 0);
  return 1;
}

int bit_isclear(lua_State* L) {
  lua_Unsigned value = check_unsigned(L, 1);
  lua_pushboolean(L, (value & static_cast<lua_Unsigned>(check_position_mask(L, 2))) == 0);
  return 1;
}

}  // namespace

void open_bit(lua_State* L) {
  const luaL_Reg functions[] = {
      {"band", guarded<bit_band>},       {"bor", guarded<bit_bor>},         {"bxor", guarded<bit_bxor>},
      {"bnot", guarded<bit_bnot>},       {"btest", guarded<bit_btest>},     {"lshift", guarded<bit_lshift>},
      {"rshift", guarded<bit_rshift>},   {"arshift", guarded<bit_arshift>}, {"lrotate", guarded<bit_lrotate>},
      {"rrotate", guarded<bit_rrotate>}, {"extract", guarded<bit_extract>}, {"replace", guarded<bit_replace>},
      {"bit", guarded<bit_bit>},         {"set", guarded<bit_set>},         {"clear", guarded<bit_clear>},
      {"isset", guarded<bit_isset>},     {"isclear", guarded<bit_isclear>}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  // The firmware opens this table as the bit32 library and also names it `bit`.
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "bit32");
  lua_pop(L, 1);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "bit32");
  lua_setglobal(L, "bit");
}

}  // namespace luatnet::lua
