// Lua bindings layer: the `pack` module (pack.pack, pack.unpack) with the firmware's format codes and
// returns, and the format helpers zbuff shares. Lengths of 'a' strings are 4 bytes, as size_t is on the
// 32-bit modules; a packed result is capped (kMaxPacked) so a huge 'A' count cannot exhaust memory.
#include "lua/lua_pack.hpp"

#include <algorithm>
#include <bit>
#include <climits>

#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr std::size_t kMaxPacked = std::size_t{64} * 1024 * 1024;
// Scalars are laid out through host memory: luatnet runs on little-endian hosts, as the modules are.
static_assert(std::endian::native == std::endian::little);

// Bytes in host (little-endian) order turned into the requested order, or back.
void order_bytes(std::uint8_t* bytes, std::size_t size, bool big_endian) {
  if (big_endian) std::reverse(bytes, bytes + size);
}

int bad_code(lua_State* L, int format_arg, char code) {
  return luaL_argerror(L, format_arg, lua_pushfstring(L, "bad code `%c'", code));
}

// Length prefixes of the p, P and a string codes.
std::size_t prefix_size(char code) {
  switch (code) {
    case 'p':
      return 1;
    case 'P':
      return 2;
    case 'a':
      return 4;
    default:
      return 0;
  }
}

// Keeps a packed result under kMaxPacked; `total` counts what has been added so far.
void add_packed(lua_State* L, luaL_Buffer& out, std::size_t& total, const void* bytes, std::size_t size) {
  if (size > kMaxPacked - total) luaL_error(L, "packed result larger than %d bytes", static_cast<int>(kMaxPacked));
  luaL_addlstring(&out, static_cast<const char*>(bytes), size);
  total += size;
}

void add_padding(lua_State* L, luaL_Buffer& out, std::size_t& total, std::size_t size) {
  if (size > kMaxPacked - total) luaL_error(L, "packed result larger than %d bytes", static_cast<int>(kMaxPacked));
  for (std::size_t i = 0; i < size; ++i) luaL_addchar(&out, '\0');
  total += size;
}

// pack.pack(format, ...) -> the packed string. Each code takes one argument per count, except A whose
// count is the field width (the string is cut or padded with zeros; A0 takes an argument, writes nothing).
int pack_pack(lua_State* L) {
  const char* format = luaL_checkstring(L, 1);
  int arg = 2;
  bool big_endian = false;
  std::size_t total = 0;
  luaL_Buffer out;
  luaL_buffinit(L, &out);
  FormatItem item;
  while (next_format_item(L, format, item)) {
    char code = item.code;
    if (apply_endian_marker(code, big_endian) || code == ' ' || code == ',') continue;
    if (code == 'A' && item.counted && item.count == 0) {
      luaL_optstring(L, arg++, "");
      continue;
    }
    if (code == 'A') {
      size_t length = 0;
      const char* text = luaL_checklstring(L, arg++, &length);
      std::size_t width = item.counted ? item.count : length;
      add_packed(L, out, total, text, std::min(width, length));
      if (width > length) add_padding(L, out, total, width - length);
      continue;
    }
    std::size_t prefix = prefix_size(code);
    std::size_t size = scalar_size(code);
    if (code != 'z' && prefix == 0 && size == 0) return bad_code(L, 1, code);
    for (std::size_t n = 0; n < item.count; ++n) {
      if (code == 'z') {
        size_t length = 0;
        const char* text = luaL_checklstring(L, arg++, &length);
        add_packed(L, out, total, text, length + 1);  // with its terminating zero
      } else if (prefix != 0) {
        size_t length = 0;
        const char* text = luaL_checklstring(L, arg++, &length);
        if (prefix < sizeof(std::uint64_t) && length >> (prefix * 8) != 0) {
          luaL_argerror(L, arg - 1, lua_pushfstring(L, "string too long for code `%c'", code));
        }
        std::uint8_t header[4];
        auto value = static_cast<std::uint32_t>(length);
        std::memcpy(header, &value, prefix);
        order_bytes(header, prefix, big_endian);
        add_packed(L, out, total, header, prefix);
        add_packed(L, out, total, text, length);
      } else {
        std::uint8_t bytes[8];
        encode_scalar(L, code, arg++, bytes, big_endian);
        add_packed(L, out, total, bytes, size);
      }
    }
  }
  luaL_pushresult(&out);
  return 1;
}

// pack.unpack(data, format, init = 1) -> next position, values... Reading stops quietly at the first
// value the data is too short for; the position returned is where the next read would start.
int pack_unpack(lua_State* L) {
  auto data = check_view(L, 1);
  const char* format = luaL_checkstring(L, 2);
  lua_Number init = luaL_optnumber(L, 3, 1);
  luaL_argcheck(L, init >= 1 && init <= 9007199254740992.0, 3, "position must be 1 or more");
  auto position = static_cast<std::size_t>(init) - 1;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(data.data());
  bool big_endian = false;
  int results = 0;
  lua_pushnil(L);  // replaced by the position
  int position_slot = lua_gettop(L);
  auto fits = [&](std::size_t size) { return position <= data.size() && size <= data.size() - position; };
  auto push_text = [&](std::size_t size) {
    luaL_checkstack(L, 2, "too many results to unpack");
    lua_pushlstring(L, data.data() + position, size);
    position += size;
    ++results;
  };
  FormatItem item;
  bool done = false;
  while (!done && next_format_item(L, format, item)) {
    char code = item.code;
    if (apply_endian_marker(code, big_endian) || code == ' ' || code == ',') continue;
    if (code == 'A') {
      std::size_t width = item.counted ? item.count : 1;
      if (width == 0) {
        luaL_checkstack(L, 2, "too many results to unpack");
        lua_pushliteral(L, "");
        ++results;
      } else if (fits(width)) {
        push_text(width);
      } else {
        done = true;
      }
      continue;
    }
    std::size_t prefix = prefix_size(code);
    std::size_t size = scalar_size(code);
    if (code != 'z' && prefix == 0 && size == 0) return bad_code(L, 2, code);
    for (std::size_t n = 0; n < item.count && !done; ++n) {
      if (code == 'z') {
        if (position >= data.size()) {
          done = true;
          break;
        }
        auto rest = data.substr(position);
        std::size_t length = std::min(rest.find('\0'), rest.size());
        push_text(length);
        position += 1;  // the terminator (one past the end when there was none, as the firmware)
      } else if (prefix != 0) {
        if (!fits(prefix)) {
          done = true;
          break;
        }
        std::uint8_t header[4] = {};
        std::memcpy(header, bytes + position, prefix);
        order_bytes(header, prefix, big_endian);
        std::uint32_t length = 0;
        std::memcpy(&length, header, prefix);
        position += prefix;
        if (!fits(length)) {
          position -= prefix;
          done = true;
          break;
        }
        push_text(length);
      } else {
        if (!fits(size)) {
          done = true;
          break;
        }
        luaL_checkstack(L, 2, "too many results to unpack");
        push_scalar(L, code, bytes + position, big_endian);
        position += size;
        ++results;
      }
    }
  }
  lua_pushinteger(L, static_cast<lua_Integer>(position + 1));
  lua_replace(L, position_slot);
  return results + 1;
}

}  // namespace

bool next_format_item(lua_State* L, const char*& format, FormatItem& item) {
  if (*format == '\0') return false;
  item.code = *format++;
  item.count = 1;
  item.counted = false;
  if (*format >= '0' && *format <= '9') {
    item.counted = true;
    item.count = 0;
    while (*format >= '0' && *format <= '9') {
      item.count = item.count * 10 + static_cast<std::size_t>(*format++ - '0');
      if (item.count > INT_MAX) luaL_error(L, "count in format too large (the most is %d)", INT_MAX);
    }
  }
  return true;
}

bool apply_endian_marker(char code, bool& big_endian) {
  switch (code) {
    case '<':
      big_endian = false;
      return true;
    case '>':
      big_endian = true;
      return true;
    case '=':
      big_endian = false;  // the host's order
      return true;
    default:
      return false;
  }
}

std::size_t scalar_size(char code) {
  switch (code) {
    case 'c':
    case 'b':
      return 1;
    case 'h':
    case 'H':
      return 2;
    case 'i':
    case 'I':
    case 'f':
      return 4;
    case 'l':
    case 'L':
    case 'd':
    case 'n':
      return 8;
    default:
      return 0;
  }
}

void encode_scalar(lua_State* L, char code, int arg, std::uint8_t* bytes, bool big_endian) {
  std::size_t size = scalar_size(code);
  if (code == 'f') {
    auto value = static_cast<float>(luaL_checknumber(L, arg));
    std::memcpy(bytes, &value, size);
  } else if (code == 'd' || code == 'n') {
    double value = luaL_checknumber(L, arg);
    std::memcpy(bytes, &value, size);
  } else {
    auto value = static_cast<std::uint64_t>(luaL_checkinteger(L, arg));
    std::memcpy(bytes, &value, size);  // the low bytes come first
  }
  order_bytes(bytes, size, big_endian);
}

void push_scalar(lua_State* L, char code, const std::uint8_t* source, bool big_endian) {
  std::uint8_t bytes[8];
  std::size_t size = scalar_size(code);
  std::memcpy(bytes, source, size);
  order_bytes(bytes, size, big_endian);
  switch (code) {
    case 'f':
      return push_stored<float>(L, bytes);
    case 'd':
    case 'n':
      return push_stored<double>(L, bytes);
    case 'c':
      return push_stored<std::int8_t>(L, bytes);
    case 'b':
      return push_stored<std::uint8_t>(L, bytes);
    case 'h':
      return push_stored<std::int16_t>(L, bytes);
    case 'H':
      return push_stored<std::uint16_t>(L, bytes);
    case 'i':
      return push_stored<std::int32_t>(L, bytes);
    case 'I':
      return push_stored<std::uint32_t>(L, bytes);
    default:
      return push_stored<std::int64_t>(L, bytes);
  }
}

void open_pack(lua_State* L) {
  const luaL_Reg functions[] = {{"pack", guarded<pack_pack>}, {"unpack", guarded<pack_unpack>}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  lua_setglobal(L, "pack");
}

}  // namespace luatnet::lua
