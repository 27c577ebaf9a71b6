// Lua bindings layer: the `zbuff` module over buffer::ZBuff, with the firmware's argument rules and returns.
#include "lua/lua_zbuff.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "common/encoding.hpp"
#include "lua/lua_pack.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

using buffer::ZBuff;

// Larger requests get the documented nil, "memory not enough" instead of an allocator failure.
constexpr lua_Integer kMaxLength = lua_Integer{512} * 1024 * 1024;

// Key of the metatable a zbuff gets once collected.
const char kCollectedKey = 0;
constexpr const char* kCollectedType = "collected ZBUFF*";

enum Seek : lua_Integer { kSeekSet = 0, kSeekCur = 1, kSeekEnd = 2 };

std::string_view check_bytes(lua_State* L, int index) {
  size_t length = 0;
  const char* data = luaL_checklstring(L, index, &length);
  return {data, length};
}

// Clamps an integer argument into [0, limit].
size_t clamp_index(lua_Integer value, size_t limit) {
  if (value < 0) return 0;
  return static_cast<size_t>(value) > limit ? limit : static_cast<size_t>(value);
}

int zbuff_create(lua_State* L) {
  if (lua_istable(L, 1)) {
    return luaL_argerror(L, 1, "frame-buffer zbuffs (drawing) are not supported by luatnet");
  }
  lua_Integer length = luaL_checkinteger(L, 1);
  if (length <= 0) {
    return 0;
  }
  if (length > kMaxLength) {
    lua_pushnil(L);
    lua_pushstring(L, "memory not enough");
    return 2;
  }
  if (!lua_isnoneornil(L, 2) && !lua_isinteger(L, 2) && lua_type(L, 2) != LUA_TSTRING) {
    return luaL_argerror(L, 2, "fill byte (integer) or initial data (string) expected");
  }
  auto* buff =
      new_typed_userdata<ZBuff>(L, kZBuffType, static_cast<size_t>(length),
                                static_cast<std::uint8_t>(lua_isinteger(L, 2) ? lua_tointeger(L, 2) & 0xff : 0));
  luaL_setmetatable(L, kZBuffType);
  if (lua_type(L, 2) == LUA_TSTRING) {
    buff->write_at_cursor(as_bytes(check_bytes(L, 2)));
  }
  return 1;
}

int zbuff_write(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  if (lua_isinteger(L, 2)) {
    lua_Integer written = 0;
    for (int i = 2; lua_isinteger(L, i) && buff->used() < buff->length(); ++i, ++written) {
      auto byte = static_cast<std::uint8_t>(lua_tointeger(L, i) & 0xff);
      buff->write_at_cursor({&byte, 1});
    }
    lua_pushinteger(L, written);
    return 1;
  }
  if (lua_type(L, 2) != LUA_TSTRING && lua_type(L, 2) != LUA_TNUMBER) {
    return luaL_argerror(L, 2, "string or byte values expected");
  }
  lua_pushinteger(L, static_cast<lua_Integer>(buff->write_at_cursor(as_bytes(check_bytes(L, 2)))));
  return 1;
}

int zbuff_read(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  lua_Integer wanted = luaL_optinteger(L, 2, 1);
  size_t count = clamp_index(wanted, buff->length() - buff->used());
  auto text = buff->text(buff->used(), count);
  lua_pushlstring(L, text.data(), text.size());
  buff->set_used(buff->used() + count);
  return 1;
}

int zbuff_clear(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  buff->fill(0, buff->length(), static_cast<std::uint8_t>(luaL_optinteger(L, 2, 0) & 0xff));
  return 0;
}

int zbuff_seek(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  // Within [-length, length] the sum below cannot overflow, and clamping to [0, length] gives the same.
  auto length = static_cast<lua_Integer>(buff->length());
  lua_Integer offset = std::clamp(luaL_checkinteger(L, 2), -length, length);
  lua_Integer whence = luaL_optinteger(L, 3, kSeekSet);
  switch (whence) {
    case kSeekSet:
      break;
    case kSeekCur:
      offset += static_cast<lua_Integer>(buff->used());
      break;
    case kSeekEnd:
      offset += length;
      break;
    default:
      return luaL_argerror(L, 3, "zbuff.SEEK_SET, SEEK_CUR or SEEK_END expected");
  }
  buff->set_used(clamp_index(offset, buff->length()));
  lua_pushinteger(L, static_cast<lua_Integer>(buff->used()));
  return 1;
}

// pack/unpack: the lpack-style format (lua_pack.hpp) at the cursor.
int zbuff_pack(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  const char* format = luaL_checkstring(L, 2);
  int arg = 3;
  bool big_endian = false;
  lua_Integer written = 0;
  FormatItem item;
  while (next_format_item(L, format, item) && buff->used() < buff->length()) {
    if (apply_endian_marker(item.code, big_endian) || item.code == ' ' || item.code == ',') continue;
    for (size_t n = 0; n < item.count && buff->used() < buff->length(); ++n) {
      if (item.code == 'A') {
        written += static_cast<lua_Integer>(buff->write_at_cursor(as_bytes(check_bytes(L, arg++))));
        continue;
      }
      size_t size = scalar_size(item.code);
      if (size == 0) {
        return luaL_argerror(L, 2, lua_pushfstring(L, "bad format code '%c'", item.code));
      }
      std::uint8_t bytes[8];
      encode_scalar(L, item.code, arg++, bytes, big_endian);
      written += static_cast<lua_Integer>(buff->write_at_cursor({bytes, size}));
    }
  }
  lua_pushinteger(L, written);
  return 1;
}

int zbuff_unpack(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  const char* format = luaL_checkstring(L, 2);
  bool big_endian = false;
  size_t start = buff->used();
  size_t position = start;
  int results = 0;
  lua_pushnil(L);  // replaced by the byte count
  int count_slot = lua_gettop(L);
  FormatItem item;
  bool done = false;
  while (!done && next_format_item(L, format, item)) {
    if (apply_endian_marker(item.code, big_endian) || item.code == ' ' || item.code == ',') continue;
    luaL_checkstack(L, 2, "too many results to unpack");
    if (item.code == 'A') {
      if (position + item.count > buff->length()) break;
      auto text = buff->text(position, item.count);
      lua_pushlstring(L, text.data(), text.size());
      position += item.count;
      ++results;
      continue;
    }
    size_t size = scalar_size(item.code);
    if (size == 0) {
      return luaL_argerror(L, 2, lua_pushfstring(L, "bad format code '%c'", item.code));
    }
    for (size_t n = 0; n < item.count; ++n) {
      if (position + size > buff->length()) {
        done = true;
        break;
      }
      luaL_checkstack(L, 2, "too many results to unpack");
      push_scalar(L, item.code, buff->data() + position, big_endian);
      position += size;
      ++results;
    }
  }
  buff->set_used(position);
  lua_pushinteger(L, static_cast<lua_Integer>(position - start));
  lua_replace(L, count_slot);
  return results + 1;
}

// readU8..readF64 / writeU8..writeF64: native byte order at the cursor, as the firmware.
template <typename T>
int read_typed(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  if (buff->length() - buff->used() < sizeof(T)) return 0;
  push_stored<T>(L, buff->data() + buff->used());
  buff->set_used(buff->used() + sizeof(T));
  return 1;
}

template <typename T>
int write_typed(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  T value;
  if constexpr (std::is_floating_point_v<T>) {
    value = static_cast<T>(luaL_checknumber(L, 2));
  } else {
    value = static_cast<T>(luaL_checkinteger(L, 2));
  }
  if (buff->length() - buff->used() < sizeof(T)) {
    lua_pushinteger(L, 0);
    return 1;
  }
  buff->write_at_cursor({reinterpret_cast<const std::uint8_t*>(&value), sizeof(T)});
  lua_pushinteger(L, sizeof(T));
  return 1;
}

int zbuff_to_str(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  size_t start = clamp_index(luaL_optinteger(L, 2, 0), buff->length());
  lua_Integer length = luaL_optinteger(L, 3, static_cast<lua_Integer>(buff->length()));
  if (length < 0) {
    lua_pushliteral(L, "");
    return 1;
  }
  auto text = buff->text(start, static_cast<size_t>(length));
  lua_pushlstring(L, text.data(), text.size());
  return 1;
}

int zbuff_len(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(check_zbuff(L, 1)->length()));
  return 1;
}

int zbuff_free(lua_State* L) {
  check_zbuff(L, 1)->release();
  return 0;
}

// A finalizer that runs later (or the debug library) may still reach the userdata: its ZBuff is destroyed
// and it is no longer of the zbuff type, under the collected metatable, which refuses every use (this one
// included).
int zbuff_gc(lua_State* L) {
  check_zbuff(L, 1);  // a second __gc (through the debug library) raises "collected"
  finalize_typed_userdata<ZBuff>(L, kZBuffType);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kCollectedKey);
  lua_setmetatable(L, 1);
  return 0;
}

int refuse_collected(lua_State* L) { return luaL_error(L, "attempt to use a collected zbuff"); }

int collected_tostring(lua_State* L) {
  lua_pushfstring(L, "ZBUFF*: %p (collected)", test_userdata(L, 1, &kFinalizedKey));
  return 1;
}

int zbuff_resize(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  lua_Integer length = luaL_checkinteger(L, 2);
  luaL_argcheck(L, length >= 0 && length <= kMaxLength, 2, "size out of range");
  buff->resize(static_cast<size_t>(length));
  return 0;
}

int zbuff_copy(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  lua_Integer offset = lua_isnoneornil(L, 2) ? static_cast<lua_Integer>(buff->used()) : luaL_checkinteger(L, 2);
  if (offset < 0) {
    offset += static_cast<lua_Integer>(buff->used());
    if (offset < 0) {
      lua_pushinteger(L, 0);
      return 1;
    }
  }
  if (offset > kMaxLength) return luaL_argerror(L, 2, "start out of range");
  auto at = static_cast<size_t>(offset);
  if (lua_isinteger(L, 3)) {
    std::string bytes;
    for (int i = 3; lua_isinteger(L, i); ++i) bytes += static_cast<char>(lua_tointeger(L, i) & 0xff);
    lua_pushinteger(L, static_cast<lua_Integer>(buff->copy_in(at, as_bytes(bytes))));
    return 1;
  }
  if (lua_type(L, 3) == LUA_TSTRING) {
    auto bytes = check_bytes(L, 3);
    if (at + bytes.size() > static_cast<size_t>(kMaxLength)) return luaL_argerror(L, 3, "result too large");
    lua_pushinteger(L, static_cast<lua_Integer>(buff->copy_in(at, as_bytes(bytes))));
    return 1;
  }
  if (ZBuff* source = test_zbuff(L, 3)) {
    lua_Integer start = luaL_optinteger(L, 4, 0);
    lua_Integer length = luaL_optinteger(L, 5, static_cast<lua_Integer>(source->used()));
    if (start < 0 || static_cast<size_t>(start) > source->length() || length < 0 ||
        static_cast<size_t>(length) > source->length() - static_cast<size_t>(start) ||
        at + static_cast<size_t>(length) > static_cast<size_t>(kMaxLength)) {
      lua_pushinteger(L, 0);
      return 1;
    }
    // Copy through a temporary: source may be this very buffer, which copy_in may reallocate.
    auto view = source->view(static_cast<size_t>(start), static_cast<size_t>(length));
    std::string bytes(reinterpret_cast<const char*>(view.data()), view.size());
    lua_pushinteger(L, static_cast<lua_Integer>(buff->copy_in(at, as_bytes(bytes))));
    return 1;
  }
  return luaL_argerror(L, 3, "string, zbuff or byte values expected");
}

int zbuff_used(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  if (!lua_isnoneornil(L, 2)) {
    buff->set_used(clamp_index(luaL_checkinteger(L, 2), buff->length()));
  }
  lua_pushinteger(L, static_cast<lua_Integer>(buff->used()));
  return 1;
}

int zbuff_del(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  lua_Integer start = luaL_optinteger(L, 2, 0);
  if (start < 0) start += static_cast<lua_Integer>(buff->used());
  lua_Integer length = luaL_optinteger(L, 3, static_cast<lua_Integer>(buff->used()));
  if (start < 0 || length <= 0) return 0;
  buff->erase_used(static_cast<size_t>(start), static_cast<size_t>(length));
  return 0;
}

std::uint64_t load_unsigned(const std::uint8_t* p, size_t size, bool big_endian) {
  std::uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) {
    value |= std::uint64_t{p[big_endian ? size - 1 - i : i]} << (8 * i);
  }
  return value;
}

int zbuff_query(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  auto used = static_cast<lua_Integer>(buff->used());
  lua_Integer start = luaL_optinteger(L, 2, 0);
  if (start < 0) start += used;
  if (start < 0) return lua_pushnil(L), 1;
  if (start > used) start = used;
  lua_Integer length = luaL_optinteger(L, 3, used);
  if (length < 0 || length > used - start) length = used - start;
  if (length == 0) return lua_pushnil(L), 1;
  const std::uint8_t* p = buff->data() + start;
  auto size = static_cast<size_t>(length);
  if (lua_isboolean(L, 4) && (size == 1 || size == 2 || size == 4 || size == 8)) {
    bool big_endian = lua_toboolean(L, 4) != 0;
    bool is_signed = lua_toboolean(L, 5) != 0;
    bool is_float = lua_toboolean(L, 6) != 0;
    std::uint64_t raw = load_unsigned(p, size, big_endian);
    if (is_float && size == 4) {
      float v;
      auto bits = static_cast<std::uint32_t>(raw);
      std::memcpy(&v, &bits, 4);
      lua_pushnumber(L, v);
    } else if (is_float && size == 8) {
      double v;
      std::memcpy(&v, &raw, 8);
      lua_pushnumber(L, v);
    } else if (is_signed && size < 8) {
      std::uint64_t sign = std::uint64_t{1} << (size * 8 - 1);
      lua_pushinteger(L, static_cast<lua_Integer>((raw ^ sign) - sign));
    } else if (size == 4 && !is_signed) {
      // The firmware returns 4-byte values through a signed 32-bit integer.
      lua_pushinteger(L, static_cast<std::int32_t>(raw));
    } else {
      lua_pushinteger(L, static_cast<lua_Integer>(raw));
    }
    return 1;
  }
  lua_pushlstring(L, reinterpret_cast<const char*>(p), size);
  return 1;
}

int zbuff_set(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  lua_Integer start = luaL_optinteger(L, 2, 0);
  lua_Integer value = luaL_optinteger(L, 3, 0);
  lua_Integer length = luaL_optinteger(L, 4, static_cast<lua_Integer>(buff->length()));
  if (start < 0 || static_cast<size_t>(start) >= buff->length() || length < 0) return 0;
  buff->fill(static_cast<size_t>(start), static_cast<size_t>(length), static_cast<std::uint8_t>(value & 0xff));
  return 0;
}

int zbuff_is_equal(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  lua_Integer start = luaL_optinteger(L, 2, 0);
  ZBuff* other = check_zbuff(L, 3);
  lua_Integer other_start = luaL_optinteger(L, 4, 0);
  lua_Integer length = luaL_optinteger(L, 5, 1);
  if (start < 0 || other_start < 0 || length < 0 ||
      static_cast<size_t>(start) + static_cast<size_t>(length) > buff->length() ||
      static_cast<size_t>(other_start) + static_cast<size_t>(length) > other->length()) {
    lua_pushboolean(L, 0);
    lua_pushinteger(L, 0);
    return 2;
  }
  const std::uint8_t* a = buff->data() + start;
  const std::uint8_t* b = other->data() + other_start;
  for (lua_Integer i = 0; i < length; ++i) {
    if (a[i] != b[i]) {
      lua_pushboolean(L, 0);
      lua_pushinteger(L, i + 1);
      return 2;
    }
  }
  lua_pushboolean(L, 1);
  lua_pushinteger(L, 0);
  return 2;
}

int zbuff_to_base64(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  ZBuff* target = check_zbuff(L, 2);
  std::string encoded = base64_encode(buff->used_view());
  if (encoded.size() > target->length()) {
    lua_pushinteger(L, 0);
    return 1;
  }
  if (!encoded.empty()) std::memcpy(target->data(), encoded.data(), encoded.size());  // a freed target has no data()
  target->set_used(encoded.size());
  lua_pushinteger(L, static_cast<lua_Integer>(encoded.size()));
  return 1;
}

const luaL_Reg kMethods[] = {{"write", guarded<zbuff_write>},
                             {"read", guarded<zbuff_read>},
                             {"clear", guarded<zbuff_clear>},
                             {"seek", guarded<zbuff_seek>},
                             {"pack", guarded<zbuff_pack>},
                             {"unpack", guarded<zbuff_unpack>},
                             {"readI8", guarded<read_typed<std::int8_t>>},
                             {"readU8", guarded<read_typed<std::uint8_t>>},
                             {"readI16", guarded<read_typed<std::int16_t>>},
                             {"readU16", guarded<read_typed<std::uint16_t>>},
                             {"readI32", guarded<read_typed<std::int32_t>>},
                             {"readU32", guarded<read_typed<std::uint32_t>>},
                             {"readI64", guarded<read_typed<std::int64_t>>},
                             {"readU64", guarded<read_typed<std::uint64_t>>},
                             {"readF32", guarded<read_typed<float>>},
                             {"readF64", guarded<read_typed<double>>},
                             {"writeI8", guarded<write_typed<std::int8_t>>},
                             {"writeU8", guarded<write_typed<std::uint8_t>>},
                             {"writeI16", guarded<write_typed<std::int16_t>>},
                             {"writeU16", guarded<write_typed<std::uint16_t>>},
                             {"writeI32", guarded<write_typed<std::int32_t>>},
                             {"writeU32", guarded<write_typed<std::uint32_t>>},
                             {"writeI64", guarded<write_typed<std::int64_t>>},
                             {"writeU64", guarded<write_typed<std::uint64_t>>},
                             {"writeF32", guarded<write_typed<float>>},
                             {"writeF64", guarded<write_typed<double>>},
                             {"toStr", guarded<zbuff_to_str>},
                             {"len", guarded<zbuff_len>},
                             {"free", guarded<zbuff_free>},
                             {"copy", guarded<zbuff_copy>},
                             {"set", guarded<zbuff_set>},
                             {"query", guarded<zbuff_query>},
                             {"del", guarded<zbuff_del>},
                             {"resize", guarded<zbuff_resize>},
                             {"reSize", guarded<zbuff_resize>},
                             {"used", guarded<zbuff_used>},
                             {"isEqual", guarded<zbuff_is_equal>},
                             {"toBase64", guarded<zbuff_to_base64>},
                             {nullptr, nullptr}};

int zbuff_index(lua_State* L) {
  // A method (buff:seek): straight from the methods table, with the key as it is; the buffer itself is
  // not touched, so it needs no check.
  if (lua_type(L, 2) == LUA_TSTRING) {
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
  }
  ZBuff* buff = check_zbuff(L, 1);
  if (!lua_isinteger(L, 2)) return 0;
  lua_Integer at = lua_tointeger(L, 2);
  if (at < 0 || static_cast<size_t>(at) >= buff->length()) return 0;
  lua_pushinteger(L, buff->data()[at]);
  return 1;
}

int zbuff_newindex(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  lua_Integer at = luaL_checkinteger(L, 2);
  lua_Integer value = luaL_checkinteger(L, 3);
  if (at >= 0 && static_cast<size_t>(at) < buff->length()) {
    buff->data()[at] = static_cast<std::uint8_t>(value & 0xff);
  }
  return 0;
}

int zbuff_tostring(lua_State* L) {
  ZBuff* buff = check_zbuff(L, 1);
  lua_pushfstring(L, "ZBUFF*: %p (len %d, used %d)", static_cast<void*>(buff), static_cast<int>(buff->length()),
                  static_cast<int>(buff->used()));
  return 1;
}

// Adds `metamethods` to the metatable on top of the stack, hides it from getmetatable, and pops it.
void seal_metatable(lua_State* L, const luaL_Reg* metamethods) {
  luaL_setfuncs(L, metamethods, 0);
  lua_pushstring(L, kZBuffType);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
}

}  // namespace

ZBuff* test_zbuff(lua_State* L, int index) { return static_cast<ZBuff*>(test_userdata(L, index, kZBuffType)); }

ZBuff* check_zbuff(lua_State* L, int index) {
  ZBuff* buff = test_zbuff(L, index);
  return buff != nullptr ? buff : static_cast<ZBuff*>(check_userdata(L, index, kZBuffType, kZBuffType));
}

void open_zbuff(lua_State* L) {
  new_metatable(L, kZBuffType, kZBuffType);
  lua_newtable(L);
  luaL_setfuncs(L, kMethods, 0);
  lua_pushcclosure(L, guarded<zbuff_index>, 1);
  lua_setfield(L, -2, "__index");
  const luaL_Reg metamethods[] = {{"__newindex", guarded<zbuff_newindex>},
                                  {"__len", guarded<zbuff_len>},
                                  {"__gc", guarded<zbuff_gc>},
                                  {"__tostring", guarded<zbuff_tostring>},
                                  {nullptr, nullptr}};
  // Through the debug library a second __gc meets the collected metatable.
  seal_metatable(L, metamethods);

  // Its __name makes argument errors read "ZBUFF* expected, got collected ZBUFF*"; it has no __gc.
  new_metatable(L, kCollectedType, &kCollectedKey);
  const luaL_Reg collected[] = {{"__index", guarded<refuse_collected>},
                                {"__newindex", guarded<refuse_collected>},
                                {"__len", guarded<refuse_collected>},
                                {"__tostring", guarded<collected_tostring>},
                                {nullptr, nullptr}};
  seal_metatable(L, collected);

  const luaL_Reg functions[] = {{"create", guarded<zbuff_create>}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  const std::pair<const char*, lua_Integer> constants[] = {{"SEEK_SET", kSeekSet}, {"SEEK_CUR", kSeekCur},
                                                           {"SEEK_END", kSeekEnd}, {"HEAP_AUTO", 0},
                                                           {"HEAP_SRAM", 1},       {"HEAP_PSRAM", 2}};
  for (const auto& [name, value] : constants) {
    lua_pushinteger(L, value);
    lua_setfield(L, -2, name);
  }
  lua_setglobal(L, "zbuff");
}

}  // namespace luatnet::lua
