// Lua bindings layer: the helpers the firmware adds to Lua's `string` table (toHex, fromHex, split, trim,
// startsWith, endsWith, urlEncode, toValue, toBase64/fromBase64, toBase32/fromBase32), with its returns.
#include <string>

#include "common/encoding.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

void push_view(lua_State* L, std::string_view text) { lua_pushlstring(L, text.data(), text.size()); }

// string.toHex(data, separator = "") -> hex, 2 * #data (the separators are not counted, as the firmware).
int string_to_hex(lua_State* L) {
  auto data = check_view(L, 1);
  std::string_view separator = lua_isnoneornil(L, 2) ? std::string_view() : check_view(L, 2);
  push_view(L, hex_encode(data, separator));
  lua_pushinteger(L, static_cast<lua_Integer>(data.size() * 2));
  return 2;
}

int string_from_hex(lua_State* L) {
  push_view(L, hex_decode(check_view(L, 1)));
  return 1;
}

// string.split(text, delimiter = ",", keepEmpty = false) -> table of the pieces. An empty delimiter is
// taken as ",", and an empty text gives an empty table, as the firmware.
int string_split(lua_State* L) {
  auto text = check_view(L, 1);
  std::string_view delimiter = lua_isnoneornil(L, 2) ? std::string_view() : check_view(L, 2);
  if (delimiter.empty()) delimiter = ",";
  bool keep_empty = lua_isboolean(L, 3) && lua_toboolean(L, 3);
  lua_newtable(L);
  if (text.empty()) return 1;
  lua_Integer index = 1;
  size_t start = 0;
  while (true) {
    size_t found = text.find(delimiter, start);
    auto piece = text.substr(start, found == std::string_view::npos ? std::string_view::npos : found - start);
    if (keep_empty || !piece.empty()) {
      push_view(L, piece);
      lua_rawseti(L, -2, index++);
    }
    if (found == std::string_view::npos) break;
    start = found + delimiter.size();
  }
  return 1;
}

bool is_trimmed_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// string.trim(text, left = true, right = true): only a boolean changes a side's default.
int string_trim(lua_State* L) {
  auto text = check_view(L, 1);
  bool left = lua_isboolean(L, 2) ? lua_toboolean(L, 2) != 0 : true;
  bool right = lua_isboolean(L, 3) ? lua_toboolean(L, 3) != 0 : true;
  size_t begin = 0;
  size_t end = text.size();
  while (left && begin < end && is_trimmed_space(text[begin])) ++begin;
  while (right && end > begin && is_trimmed_space(text[end - 1])) --end;
  push_view(L, text.substr(begin, end - begin));
  return 1;
}

int string_starts_with(lua_State* L) {
  auto text = check_view(L, 1);
  lua_pushboolean(L, text.starts_with(check_view(L, 2)));
  return 1;
}

int string_ends_with(lua_State* L) {
  auto text = check_view(L, 1);
  lua_pushboolean(L, text.ends_with(check_view(L, 2)));
  return 1;
}

// string.urlEncode(text, mode = 0, space, keep): mode 0 (PHP: space as '+', keeps . - * _), 1 (RFC 3986:
// space as %20, keeps . - _), -1 (custom: space 0 gives '+', else %20; `keep` lists the characters kept).
// Letters and digits are always kept; any other mode value acts as 0. A second argument, even nil, must be
// an integer (the firmware checks it whenever there is more than one argument).
int string_url_encode(lua_State* L) {
  auto text = check_view(L, 1);
  lua_Integer mode = lua_gettop(L) == 1 ? 0 : luaL_checkinteger(L, 2);
  bool space_as_plus = true;
  std::string_view keep = ".-*_";
  if (mode == -1) {
    space_as_plus = luaL_checkinteger(L, 3) == 0;
    keep = check_view(L, 4);
  } else if (mode == 1) {
    space_as_plus = false;
    keep = ".-_";
  }
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum || keep.find(c) != std::string_view::npos) {
      out += c;
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += kDigits[byte >> 4];
      out += kDigits[byte & 0x0F];
    }
  }
  push_view(L, out);
  return 1;
}

// string.toValue("123abc") -> "\1\2\3\10\11\12", 6: each character's digit value (letters: a/A = 10, ...),
// computed as the firmware does on its unsigned-char targets: (c > '9' ? c + 9 : c) & 0x0F.
int string_to_value(lua_State* L) {
  auto text = check_view(L, 1);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    out += static_cast<char>((byte > '9' ? byte + 9 : byte) & 0x0F);
  }
  push_view(L, out);
  lua_pushinteger(L, static_cast<lua_Integer>(text.size()));
  return 2;
}

int string_to_base64(lua_State* L) {
  push_view(L, base64_encode(as_bytes(check_view(L, 1))));
  return 1;
}

// An invalid input gives an empty string, as the firmware does.
int string_from_base64(lua_State* L) {
  auto decoded = base64_decode(check_view(L, 1));
  push_view(L, decoded ? std::string_view(*decoded) : std::string_view());
  return 1;
}

int string_to_base32(lua_State* L) {
  push_view(L, base32_encode(check_view(L, 1)));
  return 1;
}

// An invalid input (padding included, which the firmware's decoder rejects) gives an empty string.
int string_from_base32(lua_State* L) {
  auto decoded = base32_decode(check_view(L, 1));
  push_view(L, decoded ? std::string_view(*decoded) : std::string_view());
  return 1;
}

}  // namespace

void open_string_extras(lua_State* L) {
  const luaL_Reg extras[] = {{"toHex", guarded<string_to_hex>},
                             {"fromHex", guarded<string_from_hex>},
                             {"split", guarded<string_split>},
                             {"trim", guarded<string_trim>},
                             {"startsWith", guarded<string_starts_with>},
                             {"endsWith", guarded<string_ends_with>},
                             {"urlEncode", guarded<string_url_encode>},
                             {"toValue", guarded<string_to_value>},
                             {"toBase64", guarded<string_to_base64>},
                             {"fromBase64", guarded<string_from_base64>},
                             {"toBase32", guarded<string_to_base32>},
                             {"fromBase32", guarded<string_from_base32>},
                             {nullptr, nullptr}};
  lua_getglobal(L, "string");
  luaL_setfuncs(L, extras, 0);
  lua_pop(L, 1);
}

}  // namespace luatnet::lua
