// Lua bindings layer: `crypto` as LuatOS scripts call it, on mbedTLS 2.28 (the firmware's library):
// digests and HMAC (md5..sha512, md, md_file, hash_init/update/finish streams), the CRC family (crc7,
// crc8, crc16 with its named methods, crc16_modbus, crc32), checksum, trng, totp, symmetric ciphers
// (cipher_encrypt/cipher_decrypt with the firmware's padding rules), cipher_list, cipher_suites and
// base64 (the string functions).
#include <mbedtls/cipher.h>
#include <mbedtls/md.h>
#include <mbedtls/ssl_ciphersuites.h>
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "buffer/zbuff.hpp"
#include "common/checksums.hpp"
#include "common/encoding.hpp"
#include "common/logger.hpp"
#include "lua/lua_zbuff.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

const unsigned char* bytes_of(std::string_view text) { return reinterpret_cast<const unsigned char*>(text.data()); }

void push_hex(lua_State* L, const unsigned char* digest, size_t size) {
  std::string hex = hex_encode({reinterpret_cast<const char*>(digest), size});
  lua_pushlstring(L, hex.data(), hex.size());
}

void log_warning(std::string_view message) { Logger::instance().log(LogLevel::Warn, "crypto", message); }

// Digest (key empty) or HMAC of the string argument, as upper-case hex like the firmware.
int push_digest(lua_State* L, mbedtls_md_type_t type, bool keyed) {
  auto data = check_view(L, 1);
  std::string_view key = keyed ? check_view(L, 2) : std::string_view();
  const mbedtls_md_info_t* info = mbedtls_md_info_from_type(type);
  unsigned char digest[MBEDTLS_MD_MAX_SIZE];
  if (keyed) {
    mbedtls_md_hmac(info, bytes_of(key), key.size(), bytes_of(data), data.size(), digest);
  } else {
    mbedtls_md(info, bytes_of(data), data.size(), digest);
  }
  push_hex(L, digest, mbedtls_md_get_size(info));
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

// An HMAC key argument: only a non-empty string makes the digest keyed, as the firmware.
std::string_view optional_key(lua_State* L, int index) {
  return lua_type(L, index) == LUA_TSTRING ? check_view(L, index) : std::string_view();
}

// An mbedTLS context, initialised and freed with its owner's scope.
template <typename Context, void (*Init)(Context*), void (*Free)(Context*)>
struct Scoped {
  Context ctx;
  Scoped() { Init(&ctx); }
  ~Scoped() { Free(&ctx); }
  Scoped(const Scoped&) = delete;
  Scoped& operator=(const Scoped&) = delete;
};
using DigestContext = Scoped<mbedtls_md_context_t, mbedtls_md_init, mbedtls_md_free>;
using CipherContext = Scoped<mbedtls_cipher_context_t, mbedtls_cipher_init, mbedtls_cipher_free>;

// Sets up and starts `ctx` for a plain or keyed digest; false when mbedTLS refuses.
bool start_digest(mbedtls_md_context_t& ctx, const mbedtls_md_info_t* info, std::string_view key) {
  if (mbedtls_md_setup(&ctx, info, key.empty() ? 0 : 1) != 0) return false;
  return (key.empty() ? mbedtls_md_starts(&ctx) : mbedtls_md_hmac_starts(&ctx, bytes_of(key), key.size())) == 0;
}

void update_digest(mbedtls_md_context_t& ctx, bool keyed, const unsigned char* data, size_t size) {
  if (keyed) {
    mbedtls_md_hmac_update(&ctx, data, size);
  } else {
    mbedtls_md_update(&ctx, data, size);
  }
}

// Pushes the finished digest as hex; nothing (nil) when mbedTLS fails.
int finish_digest(lua_State* L, mbedtls_md_context_t& ctx, bool keyed) {
  unsigned char digest[MBEDTLS_MD_MAX_SIZE];
  int status = keyed ? mbedtls_md_hmac_finish(&ctx, digest) : mbedtls_md_finish(&ctx, digest);
  if (status != 0) return 0;
  push_hex(L, digest, mbedtls_md_get_size(ctx.md_info));
  return 1;
}

// crypto.md(type, data, hmac) -> hex; type is an mbedTLS name ("MD5", "SHA1", "SHA256", ...), nil if unknown.
int crypto_md(lua_State* L) {
  const char* type = luaL_checkstring(L, 1);
  auto data = check_view(L, 2);
  auto key = optional_key(L, 3);
  const mbedtls_md_info_t* info = mbedtls_md_info_from_string(type);
  if (info == nullptr) return 0;
  unsigned char digest[MBEDTLS_MD_MAX_SIZE];
  if (key.empty()) {
    mbedtls_md(info, bytes_of(data), data.size(), digest);
  } else {
    mbedtls_md_hmac(info, bytes_of(key), key.size(), bytes_of(data), data.size(), digest);
  }
  push_hex(L, digest, mbedtls_md_get_size(info));
  return 1;
}

// Opens `path` with the script's own io.open, so that device paths (/luadb/..., files in the --fs folder)
// map as for every other file access. Leaves the file handle or nil on the stack.
std::FILE* open_device_file(lua_State* L, std::string_view path) {
  lua_getglobal(L, "io");
  lua_getfield(L, -1, "open");
  lua_remove(L, -2);
  lua_pushlstring(L, path.data(), path.size());
  lua_pushliteral(L, "rb");
  lua_call(L, 2, 1);
  auto* stream = static_cast<luaL_Stream*>(luaL_testudata(L, -1, LUA_FILEHANDLE));
  return stream != nullptr && stream->closef != nullptr ? stream->f : nullptr;
}

// crypto.md_file(type, path, hmac) -> hex of the file's digest; nil for an unknown type or unreadable file.
int crypto_md_file(lua_State* L) {
  const char* type = luaL_checkstring(L, 1);
  auto path = check_view(L, 2);
  auto key = optional_key(L, 3);
  const mbedtls_md_info_t* info = mbedtls_md_info_from_string(type);
  if (path.size() < 2 || info == nullptr) return 0;
  std::FILE* file = open_device_file(L, path);  // before any C++ object: io.open may raise
  int handle = lua_gettop(L);
  if (file == nullptr) {
    lua_pushfstring(L, "no such file %s", path.data());
    log_warning(lua_tostring(L, -1));
    return 0;
  }
  bool digested = false;
  {
    DigestContext digest;
    if (start_digest(digest.ctx, info, key)) {
      unsigned char chunk[4096];
      size_t got = 0;
      while ((got = std::fread(chunk, 1, sizeof chunk, file)) > 0) update_digest(digest.ctx, !key.empty(), chunk, got);
      digested = std::ferror(file) == 0 && finish_digest(L, digest.ctx, !key.empty()) == 1;
    }
  }
  lua_getfield(L, handle, "close");
  lua_pushvalue(L, handle);
  lua_call(L, 1, 0);
  return digested ? 1 : 0;
}

// hash_init/hash_update/hash_finish: a digest stream in a userdata ("crypto" metatable). After finish the
// stream is spent: updates are ignored and finish gives nil, as on the device.
struct HashStream {
  HashStream() { mbedtls_md_init(&ctx); }
  ~HashStream() { mbedtls_md_free(&ctx); }  // safe on a freed context
  HashStream(const HashStream&) = delete;
  HashStream& operator=(const HashStream&) = delete;

  mbedtls_md_context_t ctx;
  bool keyed = false;
  bool active = false;
};
const char kHashStreamKey = 0;

int crypto_hash_init(lua_State* L) {
  const char* type = luaL_checkstring(L, 1);
  auto key = optional_key(L, 2);
  const mbedtls_md_info_t* info = mbedtls_md_info_from_string(type);
  if (info == nullptr) return 0;
  auto* stream = new_typed_userdata<HashStream>(L, &kHashStreamKey);
  stream->keyed = !key.empty();
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kHashStreamKey);
  lua_setmetatable(L, -2);  // from here __gc frees the context
  if (!start_digest(stream->ctx, info, key)) return luaL_error(L, "cannot start a %s digest", type);
  stream->active = true;
  return 1;
}

HashStream* check_stream(lua_State* L, int index) {
  auto* stream = static_cast<HashStream*>(test_userdata(L, index, &kHashStreamKey));
  if (stream == nullptr) luaL_argerror(L, index, "hash stream from crypto.hash_init expected");
  return stream;
}

int crypto_hash_update(lua_State* L) {
  HashStream* stream = check_stream(L, 1);
  auto data = check_view(L, 2);
  if (stream->active) update_digest(stream->ctx, stream->keyed, bytes_of(data), data.size());
  return 0;
}

int crypto_hash_finish(lua_State* L) {
  HashStream* stream = check_stream(L, 1);
  if (!stream->active) return 0;
  stream->active = false;
  int results = finish_digest(L, stream->ctx, stream->keyed);
  mbedtls_md_free(&stream->ctx);
  return results;
}

int hash_stream_gc(lua_State* L) { return finalize_typed_userdata<HashStream>(L, &kHashStreamKey); }

// Bytes a CRC is computed over: a string, or a zbuff from its cursor to its end (as the firmware).
std::span<const std::uint8_t> check_crc_input(lua_State* L, int index) {
  if (buffer::ZBuff* buff = test_zbuff(L, index)) return buff->view(buff->used(), buff->length() - buff->used());
  return as_bytes(check_view(L, index));
}

// crypto.crc8(data, poly, start = 0, reverse = false): without an integer poly, CRC-8 with poly 0x07.
int crypto_crc8(lua_State* L) {
  auto data = as_bytes(check_view(L, 1));
  if (!lua_isinteger(L, 2)) {
    lua_pushinteger(L, crc8(data, 0x00, 0x07, false));
    return 1;
  }
  auto poly = static_cast<std::uint8_t>(lua_tointeger(L, 2));
  auto start = static_cast<std::uint8_t>(luaL_optinteger(L, 3, 0));
  bool reverse = lua_isboolean(L, 4) && lua_toboolean(L, 4);
  lua_pushinteger(L, crc8(data, start, poly, reverse));
  return 1;
}

// crypto.crc7(data, poly = 0xE5, start = 0): a 7-bit CRC over the low 7 bits of poly.
int crypto_crc7(lua_State* L) {
  auto data = as_bytes(check_view(L, 1));
  auto poly = static_cast<std::uint8_t>(luaL_optinteger(L, 2, 0xE5));
  auto start = static_cast<std::uint8_t>(luaL_optinteger(L, 3, 0));
  lua_pushinteger(L, crc7(data, poly, start));
  return 1;
}

// crypto.crc16(method, data, poly, init, xorout, reflectIn, reflectOut): the method's values are the
// defaults of the later arguments; an unknown method leaves them all 0.
int crypto_crc16(lua_State* L) {
  const char* method = luaL_checkstring(L, 1);
  auto data = check_crc_input(L, 2);
  Crc16Model model = crc16_model(method).value_or(Crc16Model{});
  model.poly = static_cast<std::uint16_t>(luaL_optinteger(L, 3, model.poly));
  model.init = static_cast<std::uint16_t>(luaL_optinteger(L, 4, model.init));
  model.xorout = static_cast<std::uint16_t>(luaL_optinteger(L, 5, model.xorout));
  model.reflect_in = (luaL_optinteger(L, 6, model.reflect_in ? 1 : 0) & 0xFF) != 0;
  model.reflect_out = (luaL_optinteger(L, 7, model.reflect_out ? 1 : 0) & 0xFF) != 0;
  lua_pushinteger(L, crc16(data, model));
  return 1;
}

// crypto.crc16_modbus(data, start = 0xFFFF). The firmware documents `start` but ignores it; luatnet uses it.
int crypto_crc16_modbus(lua_State* L) {
  auto data = as_bytes(check_view(L, 1));
  Crc16Model model = *crc16_model("MODBUS");
  model.init = static_cast<std::uint16_t>(luaL_optinteger(L, 2, 0xFFFF));
  lua_pushinteger(L, crc16(data, model));
  return 1;
}

// crypto.crc32(data, start = 0xFFFFFFFF, poly = 0x04C11DB7, xorout = 0xFFFFFFFF).
int crypto_crc32(lua_State* L) {
  auto data = as_bytes(check_view(L, 1));
  auto start = static_cast<std::uint32_t>(luaL_optinteger(L, 2, 0xFFFFFFFF));
  auto poly = static_cast<std::uint32_t>(luaL_optinteger(L, 3, 0x04C11DB7));
  auto xorout = static_cast<std::uint32_t>(luaL_optinteger(L, 4, 0xFFFFFFFF));
  lua_pushinteger(L, crc32_update(data, start, poly) ^ xorout);
  return 1;
}

// crypto.checksum(data, mode = 0): xor of the bytes (mode 1: their sum), one byte.
int crypto_checksum(lua_State* L) {
  auto data = as_bytes(check_view(L, 1));
  lua_Integer mode = luaL_optinteger(L, 2, 0);
  std::uint8_t sum = 0;
  for (std::uint8_t byte : data) sum = mode == 1 ? static_cast<std::uint8_t>(sum + byte) : sum ^ byte;
  lua_pushinteger(L, sum);
  return 1;
}

// The 6-digit RFC 6238 code (HMAC-SHA1, 30-second steps) for a base32 secret; nullopt for a bad secret.
std::optional<std::uint32_t> totp_code(std::string_view secret_base32, std::int64_t unix_time) {
  auto secret = base32_decode(secret_base32);
  if (!secret) return std::nullopt;
  auto step = static_cast<std::uint64_t>(unix_time) / 30;
  unsigned char counter[8];
  for (int i = 7; i >= 0; --i, step >>= 8) counter[i] = static_cast<unsigned char>(step & 0xFF);
  unsigned char mac[20];
  mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA1), bytes_of(*secret), secret->size(), counter,
                  sizeof counter, mac);
  unsigned offset = mac[19] & 0x0F;
  std::uint32_t value = (std::uint32_t{mac[offset] & 0x7Fu} << 24) | (std::uint32_t{mac[offset + 1]} << 16) |
                        (std::uint32_t{mac[offset + 2]} << 8) | mac[offset + 3];
  return value % 1000000;
}

// crypto.totp(secret, time = now) -> the current 6-digit code; a secret that is not base32 is an error.
int crypto_totp(lua_State* L) {
  auto secret = check_view(L, 1);
  std::int64_t now = lua_isinteger(L, 2) ? lua_tointeger(L, 2) : static_cast<std::int64_t>(std::time(nullptr));
  auto code = totp_code(secret, now);
  if (!code) return luaL_error(L, "invalid base32 secret");
  lua_pushinteger(L, *code);
  return 1;
}

// crypto.trng(n) -> n random bytes from the kernel (at most 128, as the firmware); nil when n < 1.
int crypto_trng(lua_State* L) {
  lua_Integer wanted = luaL_checkinteger(L, 1);
  if (wanted < 1) return 0;
  size_t size = wanted > 128 ? 128 : static_cast<size_t>(wanted);
  char bytes[128];
  size_t got = 0;
  while (got < size) {
    ssize_t n = getrandom(bytes + got, size - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    got += static_cast<size_t>(n);
  }
  lua_pushlstring(L, bytes, size);
  return 1;
}

// Symmetric ciphers. The firmware drives mbedTLS block by block; for ECB it pads itself (mbedTLS pads
// only CBC), and a decrypt strips the padding of the last block. Names are mbedTLS's ("AES-128-ECB").
bool supported_mode(mbedtls_cipher_mode_t mode) {
  switch (mode) {
    case MBEDTLS_MODE_ECB:
    case MBEDTLS_MODE_CBC:
    case MBEDTLS_MODE_CFB:
    case MBEDTLS_MODE_OFB:
    case MBEDTLS_MODE_CTR:
    case MBEDTLS_MODE_STREAM:
      return true;
    default:
      return false;
  }
}

bool is_zero_padding(std::string_view pad) { return pad == "ZERO" || pad == "ZEROS"; }

bool is_padding_name(std::string_view pad) {
  return pad == "PKCS7" || is_zero_padding(pad) || pad == "ONE_AND_ZEROS" || pad == "ZEROS_AND_LEN";
}

mbedtls_cipher_padding_t padding_mode(std::string_view pad) {
  if (pad == "PKCS7") return MBEDTLS_PADDING_PKCS7;
  if (is_zero_padding(pad)) return MBEDTLS_PADDING_ZEROS;
  if (pad == "ONE_AND_ZEROS") return MBEDTLS_PADDING_ONE_AND_ZEROS;
  if (pad == "ZEROS_AND_LEN") return MBEDTLS_PADDING_ZEROS_AND_LEN;
  return MBEDTLS_PADDING_NONE;  // "NONE" and any name the firmware does not know
}

// ECB input padded to the next whole block (a whole extra block when already aligned), as the firmware.
std::string pad_for_ecb(std::string_view data, std::string_view pad, size_t block) {
  size_t padded = (data.size() / block + 1) * block;
  std::string out(data);
  out.resize(padded, '\0');
  auto fill = static_cast<char>(padded - data.size());
  if (pad == "PKCS7") {
    for (size_t i = data.size(); i < padded; ++i) out[i] = fill;
  } else if (pad == "ZEROS_AND_LEN") {
    out[padded - 1] = fill;
  } else if (pad == "ONE_AND_ZEROS") {
    out[data.size()] = static_cast<char>(0x80);
  }
  return out;
}

// The length of the last decrypted ECB block without its padding; nullopt when PKCS7 padding is invalid.
std::optional<size_t> unpad_ecb_block(const unsigned char* block, size_t size, std::string_view pad) {
  if (size == 0) return size;
  if (pad == "PKCS7") {
    size_t fill = block[size - 1];
    if (fill == 0 || fill > size) return std::nullopt;
    for (size_t i = size - fill; i < size; ++i) {
      if (block[i] != fill) return std::nullopt;
    }
    return size - fill;
  }
  if (pad == "ZEROS_AND_LEN") {
    size_t fill = block[size - 1];
    return (fill > 0 && fill <= size) ? size - fill : size;
  }
  size_t end = size;
  while (end > 0 && block[end - 1] == 0) --end;
  if (pad == "ONE_AND_ZEROS") return (end > 0 && block[end - 1] == 0x80) ? end - 1 : size;
  return end;  // ZERO: trailing zero bytes go
}

// Runs the cipher; nullopt when the cipher, key or IV is refused (the firmware returns nothing), an empty
// string when the data cannot be processed (bad length or padding; the firmware then returns the blocks
// done before the failure, luatnet none of them).
std::optional<std::string> run_cipher(const mbedtls_cipher_info_t* info, std::string_view pad, std::string_view data,
                                      std::string_view key, std::string_view iv, bool encrypt) {
  CipherContext cipher;
  if (mbedtls_cipher_setup(&cipher.ctx, info) != 0 ||
      mbedtls_cipher_setkey(&cipher.ctx, bytes_of(key), static_cast<int>(key.size() * 8),
                            encrypt ? MBEDTLS_ENCRYPT : MBEDTLS_DECRYPT) != 0) {
    log_warning(std::string("cipher key refused: ") + std::to_string(key.size()) + " bytes for " + info->name);
    return std::nullopt;
  }
  if (!iv.empty() && mbedtls_cipher_set_iv(&cipher.ctx, bytes_of(iv), iv.size()) != 0) {
    log_warning(std::string("cipher IV refused: ") + std::to_string(iv.size()) + " bytes for " + info->name);
    return std::nullopt;
  }
  if (info->mode == MBEDTLS_MODE_CBC) mbedtls_cipher_set_padding_mode(&cipher.ctx, padding_mode(pad));
  mbedtls_cipher_reset(&cipher.ctx);
  size_t block = mbedtls_cipher_get_block_size(&cipher.ctx);
  bool manual_padding = info->mode == MBEDTLS_MODE_ECB && is_padding_name(pad);
  std::string padded;
  if (manual_padding && encrypt) {
    padded = pad_for_ecb(data, pad, block);
    data = padded;
  }
  std::string out;
  out.reserve(data.size() + 2 * block);
  unsigned char chunk[MBEDTLS_MAX_BLOCK_LENGTH];
  for (size_t offset = 0; offset < data.size(); offset += block) {
    size_t size = std::min(block, data.size() - offset);
    size_t produced = 0;
    if (mbedtls_cipher_update(&cipher.ctx, bytes_of(data) + offset, size, chunk, &produced) != 0) return "";
    if (manual_padding && !encrypt && offset + size == data.size()) {
      auto kept = unpad_ecb_block(chunk, produced, pad);
      if (!kept) return "";
      produced = *kept;
    }
    out.append(reinterpret_cast<const char*>(chunk), produced);
  }
  size_t produced = 0;
  if (mbedtls_cipher_finish(&cipher.ctx, chunk, &produced) != 0) return "";
  out.append(reinterpret_cast<const char*>(chunk), produced);
  return out;
}

// crypto.cipher_encrypt/cipher_decrypt(type = "AES-128-ECB", padding = "PKCS7", data, key, iv = "").
int cipher(lua_State* L, bool encrypt) {
  const char* type = luaL_optstring(L, 1, "AES-128-ECB");
  std::string_view pad = luaL_optstring(L, 2, "PKCS7");
  auto data = check_view(L, 3);
  auto key = check_view(L, 4);
  std::string_view iv = lua_isnoneornil(L, 5) ? std::string_view() : check_view(L, 5);
  const mbedtls_cipher_info_t* info = mbedtls_cipher_info_from_string(type);
  if (info == nullptr || !supported_mode(info->mode)) {
    log_warning(std::string("cipher not supported: ") + type);
    return 0;
  }
  auto result = run_cipher(info, pad, data, key, iv, encrypt);
  if (!result) return 0;
  lua_pushlstring(L, result->data(), result->size());
  return 1;
}

int crypto_cipher_encrypt(lua_State* L) { return cipher(L, true); }
int crypto_cipher_decrypt(lua_State* L) { return cipher(L, false); }

// crypto.cipher_list() -> the names cipher_encrypt accepts here.
int crypto_cipher_list(lua_State* L) {
  lua_newtable(L);
  lua_Integer index = 1;
  for (const int* type = mbedtls_cipher_list(); *type != 0; ++type) {
    const mbedtls_cipher_info_t* info = mbedtls_cipher_info_from_type(static_cast<mbedtls_cipher_type_t>(*type));
    if (info == nullptr || !supported_mode(info->mode)) continue;
    lua_pushstring(L, info->name);
    lua_rawseti(L, -2, index++);
  }
  return 1;
}

// crypto.cipher_suites() -> the TLS cipher suites mbedTLS offers (socket TLS uses the same library).
int crypto_cipher_suites(lua_State* L) {
  lua_newtable(L);
  lua_Integer index = 1;
  for (const int* suite = mbedtls_ssl_list_ciphersuites(); *suite != 0; ++suite) {
    const mbedtls_ssl_ciphersuite_t* info = mbedtls_ssl_ciphersuite_from_id(*suite);
    if (info == nullptr) continue;
    lua_pushstring(L, info->name);
    lua_rawseti(L, -2, index++);
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
                             {"md", guarded<crypto_md>},
                             {"md_file", guarded<crypto_md_file>},
                             {"hash_init", guarded<crypto_hash_init>},
                             {"hash_update", guarded<crypto_hash_update>},
                             {"hash_finish", guarded<crypto_hash_finish>},
                             {"crc7", guarded<crypto_crc7>},
                             {"crc8", guarded<crypto_crc8>},
                             {"crc16", guarded<crypto_crc16>},
                             {"crc16_modbus", guarded<crypto_crc16_modbus>},
                             {"crc32", guarded<crypto_crc32>},
                             {"checksum", guarded<crypto_checksum>},
                             {"trng", guarded<crypto_trng>},
                             {"cipher", guarded<crypto_cipher_encrypt>},
                             {"cipher_encrypt", guarded<crypto_cipher_encrypt>},
                             {"cipher_decrypt", guarded<crypto_cipher_decrypt>},
                             {"cipher_list", guarded<crypto_cipher_list>},
                             {"cipher_suites", guarded<crypto_cipher_suites>},
                             {"totp", guarded<crypto_totp>},
                             {nullptr, nullptr}};
  luaL_newlib(L, crypto);
  // base64_encode/base64_decode are string.toBase64/fromBase64 (open_string_extras runs first).
  lua_getglobal(L, "string");
  lua_getfield(L, -1, "toBase64");
  lua_setfield(L, -3, "base64_encode");
  lua_getfield(L, -1, "fromBase64");
  lua_setfield(L, -3, "base64_decode");
  lua_pop(L, 1);
  lua_setglobal(L, "crypto");

  new_metatable(L, "crypto", &kHashStreamKey);
  lua_pushcfunction(L, guarded<hash_stream_gc>);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
}

}  // namespace luatnet::lua
