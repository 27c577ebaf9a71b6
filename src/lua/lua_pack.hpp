// Lua bindings layer: the lpack format both pack.pack/unpack and zbuff:pack/unpack read: endianness
// markers (< > =), codes with decimal counts, and the fixed-size scalars c b h H i I l L f d n.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <lua.hpp>
#include <type_traits>

namespace luatnet::lua {

struct FormatItem {
  char code = 0;
  std::size_t count = 1;  // 1 when no count was written
  bool counted = false;
};

// Reads the next code and its count, advancing `format`; false at the end. A count above INT_MAX (an
// overflow in the firmware's C) raises a Lua error.
bool next_format_item(lua_State* L, const char*& format, FormatItem& item);

// '<' and '>' pick an order, '=' the host's; returns false for any other code.
bool apply_endian_marker(char code, bool& big_endian);

// Bytes of a scalar code (n is the VM's 8-byte lua_Number), 0 for other codes.
std::size_t scalar_size(char code);

// Checks argument `arg` for `code` (a number for f d n, an integer otherwise, truncated to the width)
// and stores it in `bytes` in the requested order.
void encode_scalar(lua_State* L, char code, int arg, std::uint8_t* bytes, bool big_endian);

// Pushes the scalar stored at `bytes` in the given order: a number for f d n, else an integer
// (L wraps above 2^63 as the firmware's cast does).
void push_scalar(lua_State* L, char code, const std::uint8_t* bytes, bool big_endian);

// Pushes the T stored (host byte order) at `bytes`: a number for floating types, else an integer.
template <typename T>
void push_stored(lua_State* L, const std::uint8_t* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  if constexpr (std::is_floating_point_v<T>) {
    lua_pushnumber(L, static_cast<lua_Number>(value));
  } else {
    lua_pushinteger(L, static_cast<lua_Integer>(value));
  }
}

}  // namespace luatnet::lua
