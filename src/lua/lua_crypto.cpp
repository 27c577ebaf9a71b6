// Lua bindings layer: the `crypto` basics scripts use (digests, HMAC, base64, all on mbedTLS, the library
// the firmware ships) and the firmware's string helpers (toHex, fromHex, split, toBase64, fromBase64).
#include <mbedtls/md.h>

#include <string>
#include <vector>

#include "common/encoding.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

std::string_view check_text(lua_State* L, int index) {
  size_t length = 0;
  const char* data = luaL_checklstring(L, index, &length);
  return {data, length};
}

// Digest (key empty) or HMAC of the string argument, as upper-case hex like the firmware.
int push_digest(lua_State* L, mbedtls_md_type_t type, bool keyed) {
  auto data = check_text(L, 1);
  const mbedtls_md_info_t* info = mbedtls_md_info_from_type(type);
  unsigned char digest[MBEDTLS_MD_MAX_SIZE];
  if (keyed) {
    auto key = check_text(L, 2);
    mbedtls_md_hmac(info, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                    reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  } else {
    mbedtls_md(info, reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  }
  std::string hex = hex_encode({reinterpret_cast<const char*>(digest), mbedtls_md_get_size(info)});
  lua_pushlstring(L, hex.data(), hex.size());
  return 1;
}

int crypto_md5(lua_State* L) { return push_digest(L, MBEDTLS_MD_MD5, false); }
int crypto_sha1(lua_State* L) { return push_digest(L, MBEDTLS_MD_SHA1, false); }
int crypto_sha256(lua_State* L) { return push_digest(L, MBEDTLS_MD_SHA256, false); }
int crypto_sha512(lua_State* L) { return push_digest(L, MBEDTLS_MD_SHA512, false); }
int crypto_hmac_md5(lua_State* L) { return push_digest(L, MBEDTLS_MD_MD5, true); }
int crypto_hmac_sha1(lua_State* L) { return push_digest(L, MBEDTLS_MD_SHA1, true); }
int crypto_hmac_sha256(lua_State* L) { return push_digest(L, MBEDTLS_MD_SHA256, true); }
int crypto_hmac_sha512(lua_State* L) { return push_digest(L, MBEDTLS_MD_SHA512, true); }

int push_base64(lua_State* L) {
  std::string encoded = base64_encode(as_bytes(check_text(L, 1)));
  lua_pushlstring(L, encoded.data(), encoded.size());
  return 1;
}

// An invalid input gives an empty string, as the firmware does.
int push_unbase64(lua_State* L) {
  auto decoded = base64_decode(check_text(L, 1));
  std::string_view out = decoded ? std::string_view(*decoded) : std::string_view();
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

int string_to_hex(lua_State* L) {
  auto data = check_text(L, 1);
  std::string_view separator = lua_isnoneornil(L, 2) ? std::string_view() : check_text(L, 2);
  std::string hex = hex_encode(data, separator);
  lua_pushlstring(L, hex.data(), hex.size());
  lua_pushinteger(L, static_cast<lua_Integer>(hex.size()));
  return 2;
}

int string_from_hex(lua_State* L) {
  std::string bytes = hex_decode(check_text(L, 1));
  lua_pushlstring(L, bytes.data(), bytes.size());
  return 1;
}

// string.split(text, delimiter = ",", keepEmpty = false) -> table of the pieces.
int string_split(lua_State* L) {
  auto text = check_text(L, 1);
  std::string_view delimiter = lua_isnoneornil(L, 2) ? std::string_view(",") : check_text(L, 2);
  bool keep_empty = lua_toboolean(L, 3) != 0;
  luaL_argcheck(L, !delimiter.empty(), 2, "delimiter must not be empty");
  lua_newtable(L);
  lua_Integer index = 1;
  size_t start = 0;
  while (true) {
    size_t found = text.find(delimiter, start);
    auto piece = text.substr(start, found == std::string_view::npos ? std::string_view::npos : found - start);
    if (keep_empty || !piece.empty()) {
      lua_pushlstring(L, piece.data(), piece.size());
      lua_rawseti(L, -2, index++);
    }
    if (found == std::string_view::npos) break;
    start = found + delimiter.size();
  }
  return 1;
}

}  // namespace

void open_crypto(lua_State* L) {
  const luaL_Reg crypto[] = {{"md5", guarded<crypto_md5>},
                             {"sha1", guarded<crypto_sha1>},
                             {"sha256", guarded<crypto_sha256>},
                             {"sha512", guarded<crypto_sha512>},
                             {"hmac_md5", guarded<crypto_hmac_md5>},
                             {"hmac_sha1", guarded<crypto_hmac_sha1>},
                             {"hmac_sha256", guarded<crypto_hmac_sha256>},
                             {"hmac_sha512", guarded<crypto_hmac_sha512>},
                             {"base64_encode", guarded<push_base64>},
                             {"base64_decode", guarded<push_unbase64>},
                             {nullptr, nullptr}};
  luaL_newlib(L, crypto);
  lua_setglobal(L, "crypto");

  const luaL_Reg string_extras[] = {{"toHex", guarded<string_to_hex>},      {"fromHex", guarded<string_from_hex>},
                                    {"split", guarded<string_split>},       {"toBase64", guarded<push_base64>},
                                    {"fromBase64", guarded<push_unbase64>}, {nullptr, nullptr}};
  lua_getglobal(L, "string");
  luaL_setfuncs(L, string_extras, 0);
  lua_pop(L, 1);
}

}  // namespace luatnet::lua
