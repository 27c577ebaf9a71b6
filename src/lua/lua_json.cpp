// Lua bindings layer: `json` with lua-cjson's interface as LuatOS ships it (encode -> string | nil, err;
// decode -> value, 1 | nil, 0, err; json.null). Parsing is nlohmann::json's; encoding walks the Lua value.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr int kMaxDepth = 1000;

struct EncodeError {
  std::string message;
};

void encode_string(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '/':
        out += "\\/";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// An array when the keys are exactly 1..n (n > 0); an empty table is an object, as cjson does.
lua_Integer array_length(lua_State* L, int index) {
  lua_Integer count = 0;
  lua_Integer highest = 0;
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
      lua_pop(L, 1);
      return -1;
    }
    highest = std::max(highest, lua_tointeger(L, -1));
    ++count;
  }
  return count > 0 && highest == count ? count : -1;
}

void encode_value(lua_State* L, int index, std::string& out, const char* number_format, int depth) {
  if (depth > kMaxDepth) throw EncodeError{"Cannot serialise, excessive nesting"};
  index = lua_absindex(L, index);
  switch (lua_type(L, index)) {
    case LUA_TNIL:
      out += "null";
      return;
    case LUA_TBOOLEAN:
      out += lua_toboolean(L, index) != 0 ? "true" : "false";
      return;
    case LUA_TNUMBER: {
      if (lua_isinteger(L, index)) {
        out += std::to_string(lua_tointeger(L, index));
        return;
      }
      double value = lua_tonumber(L, index);
      if (!std::isfinite(value)) throw EncodeError{"Cannot serialise number: must not be NaN or Inf"};
      // "%.14f" of a large number is hundreds of characters: measure, then write in place.
      int length = std::snprintf(nullptr, 0, number_format, value);
      std::size_t at = out.size();
      out.resize(at + static_cast<std::size_t>(length) + 1);
      std::snprintf(out.data() + at, static_cast<std::size_t>(length) + 1, number_format, value);
      out.resize(at + static_cast<std::size_t>(length));
      return;
    }
    case LUA_TSTRING: {
      size_t length = 0;
      const char* text = lua_tolstring(L, index, &length);
      encode_string(out, {text, length});
      return;
    }
    case LUA_TLIGHTUSERDATA:
      if (lua_touserdata(L, index) == nullptr) {
        out += "null";
        return;
      }
      break;
    case LUA_TTABLE: {
      if (lua_checkstack(L, 4) == 0) throw EncodeError{"Cannot serialise, excessive nesting"};
      lua_Integer length = array_length(L, index);
      if (length > 0) {
        out += '[';
        for (lua_Integer i = 1; i <= length; ++i) {
          if (i > 1) out += ',';
          lua_rawgeti(L, index, i);
          encode_value(L, -1, out, number_format, depth + 1);
          lua_pop(L, 1);
        }
        out += ']';
        return;
      }
      out += '{';
      bool first = true;
      lua_pushnil(L);
      while (lua_next(L, index) != 0) {
        int key_type = lua_type(L, -2);
        if (key_type != LUA_TSTRING && key_type != LUA_TNUMBER) {
          throw EncodeError{"Cannot serialise table: table key must be a number or string"};
        }
        if (!first) out += ',';
        first = false;
        lua_pushvalue(L, -2);
        size_t length_of_key = 0;
        const char* key = lua_tolstring(L, -1, &length_of_key);  // converts the copy, not the key
        encode_string(out, {key, length_of_key});
        lua_pop(L, 1);
        out += ':';
        encode_value(L, -1, out, number_format, depth + 1);
        lua_pop(L, 1);
      }
      out += '}';
      return;
    }
    default:
      break;
  }
  throw EncodeError{std::string("Cannot serialise ") + luaL_typename(L, index) + ": type not supported"};
}

int json_encode(lua_State* L) {
  luaL_checkany(L, 1);
  // The firmware's optional format: digits then 'f' or 'g' (default "7g").
  char number_format[8] = "%.14g";
  if (!lua_isnoneornil(L, 2)) {
    const char* spec = luaL_checkstring(L, 2);
    int digits = 0;
    char mode = 'g';
    if (std::sscanf(spec, "%d%c", &digits, &mode) != 2 || digits < 0 || digits > 14 || (mode != 'f' && mode != 'g')) {
      return luaL_argerror(L, 2, "format must be like \"7g\" or \"12f\" (0..14 digits)");
    }
    std::snprintf(number_format, sizeof number_format, "%%.%d%c", digits, mode);
  }
  // From here on nothing raises a Lua error while `out` lives (only running out of memory would).
  std::string out;
  try {
    encode_value(L, 1, out, number_format, 0);
  } catch (const EncodeError& error) {
    lua_pushnil(L);
    lua_pushstring(L, error.message.c_str());
    return 2;
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

struct TooDeep {};

void push_json(lua_State* L, const nlohmann::json& value, int depth) {
  if (depth > kMaxDepth || lua_checkstack(L, 3) == 0) throw TooDeep{};
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      lua_pushlightuserdata(L, nullptr);
      return;
    case nlohmann::json::value_t::boolean:
      lua_pushboolean(L, value.get<bool>() ? 1 : 0);
      return;
    case nlohmann::json::value_t::number_integer:
      lua_pushinteger(L, value.get<std::int64_t>());
      return;
    case nlohmann::json::value_t::number_unsigned: {
      auto number = value.get<std::uint64_t>();
      if (number <= static_cast<std::uint64_t>(LUA_MAXINTEGER)) {
        lua_pushinteger(L, static_cast<lua_Integer>(number));
      } else {
        lua_pushnumber(L, static_cast<lua_Number>(number));
      }
      return;
    }
    case nlohmann::json::value_t::number_float:
      lua_pushnumber(L, value.get<double>());
      return;
    case nlohmann::json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      lua_pushlstring(L, text.data(), text.size());
      return;
    }
    case nlohmann::json::value_t::array: {
      lua_createtable(L, static_cast<int>(value.size()), 0);
      lua_Integer i = 1;
      for (const auto& item : value) {
        push_json(L, item, depth + 1);
        lua_rawseti(L, -2, i++);
      }
      return;
    }
    case nlohmann::json::value_t::object:
      lua_createtable(L, 0, static_cast<int>(value.size()));
      for (const auto& [key, item] : value.items()) {
        lua_pushlstring(L, key.data(), key.size());
        push_json(L, item, depth + 1);
        lua_rawset(L, -3);
      }
      return;
    default:
      lua_pushnil(L);
  }
}

enum class Decoded { Pushed, Invalid, TooDeep };

// Parses `text` and pushes its value. The parsed tree lives only in here, so that the caller can raise
// a Lua error afterwards without skipping its destructor; a parse error's text goes to `error`.
Decoded decode_onto_stack(lua_State* L, const char* text, size_t length, char (&error)[256]) {
  int top = lua_gettop(L);
  try {
    auto value = nlohmann::json::parse(text, text + length, nullptr, true, false);
    push_json(L, value, 0);
    return Decoded::Pushed;
  } catch (const nlohmann::json::exception& parse_error) {
    std::snprintf(error, sizeof error, "%s", parse_error.what());
    return Decoded::Invalid;
  } catch (const TooDeep&) {
    lua_settop(L, top);
    return Decoded::TooDeep;
  }
}

int json_decode(lua_State* L) {
  size_t length = 0;
  const char* text = luaL_checklstring(L, 1, &length);
  char error[256] = "";
  switch (decode_onto_stack(L, text, length, error)) {
    case Decoded::Pushed:
      lua_pushinteger(L, 1);
      return 2;
    case Decoded::Invalid:
      lua_pushnil(L);
      lua_pushinteger(L, 0);
      lua_pushstring(L, error);
      return 3;
    case Decoded::TooDeep:
      break;
  }
  return luaL_error(L, "json.decode: nesting deeper than %d", kMaxDepth);
}

}  // namespace

void open_json(lua_State* L) {
  const luaL_Reg functions[] = {{"encode", guarded<json_encode>}, {"decode", guarded<json_decode>}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  lua_pushlightuserdata(L, nullptr);
  lua_setfield(L, -2, "null");
  lua_setglobal(L, "json");
}

}  // namespace luatnet::lua
