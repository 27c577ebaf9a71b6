// Lua bindings layer: `miniz` (compress, uncompress and the firmware's flag constants) on zlib. The
// firmware's miniz flags are mapped onto zlib settings: WRITE_ZLIB_HEADER / PARSE_ZLIB_HEADER choose the
// zlib wrapper or raw deflate, the low 12 bits (miniz's probe count) a level, FORCE_ALL_RAW_BLOCKS stored
// blocks, RLE_MATCHES, FILTER_MATCHES and FORCE_ALL_STATIC_BLOCKS the matching zlib strategies. The
// streams are interchangeable with miniz's; the compressed bytes are zlib's, not miniz's.
#include <zlib.h>

#include <utility>

#include "common/compression.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

// The firmware's limits: inputs above 32 KiB are refused, and uncompress decodes into one buffer of
// miniz's TDEFL_OUT_BUF_SIZE (64 KiB * 13 / 10), so a larger result is a failure (nil).
constexpr size_t kMaxInput = 32 * 1024;
constexpr size_t kMaxUncompressed = 64 * 1024 * 13 / 10;

// miniz's tdefl and tinfl flag values, as scripts pass them.
constexpr lua_Integer kProbesMask = 0x00FFF;
constexpr lua_Integer kWriteZlibHeader = 0x01000;
constexpr lua_Integer kComputeAdler32 = 0x02000;
constexpr lua_Integer kGreedyParsing = 0x04000;
constexpr lua_Integer kNondeterministicParsing = 0x08000;
constexpr lua_Integer kRleMatches = 0x10000;
constexpr lua_Integer kFilterMatches = 0x20000;
constexpr lua_Integer kForceAllStaticBlocks = 0x40000;
constexpr lua_Integer kForceAllRawBlocks = 0x80000;
constexpr lua_Integer kParseZlibHeader = 1;
constexpr lua_Integer kHasMoreInput = 2;
constexpr lua_Integer kUsingNonWrappingOutputBuf = 4;

DeflateSettings settings_from_flags(lua_Integer flags) {
  DeflateSettings settings;
  settings.zlib_wrapper = (flags & kWriteZlibHeader) != 0;
  // miniz's probes per level 1..9; a flag's probe count takes the highest level it reaches (at least 1).
  static constexpr lua_Integer kProbesAtLevel[] = {0, 1, 6, 32, 16, 32, 128, 256, 512, 768};
  lua_Integer probes = flags & kProbesMask;
  settings.level = 1;
  for (int level = 2; level <= 9; ++level) {
    if (probes >= kProbesAtLevel[level]) settings.level = level;
  }
  if ((flags & kGreedyParsing) && settings.level > 3) settings.level = 3;  // zlib's greedy levels are 1..3
  if (flags & kForceAllRawBlocks) settings.level = 0;
  if (flags & kRleMatches) settings.strategy = Z_RLE;
  if (flags & kFilterMatches) settings.strategy = Z_FILTERED;
  if (flags & kForceAllStaticBlocks) settings.strategy = Z_FIXED;
  return settings;
}

// miniz.compress(data, flags = WRITE_ZLIB_HEADER) -> compressed string, nil over 32 KiB.
int miniz_compress(lua_State* L) {
  auto data = check_view(L, 1);
  lua_Integer flags = luaL_optinteger(L, 2, kWriteZlibHeader);
  if (data.size() > kMaxInput) return 0;
  auto compressed = deflate_bytes(data, settings_from_flags(flags));
  if (!compressed) return 0;
  lua_pushlstring(L, compressed->data(), compressed->size());
  return 1;
}

// miniz.uncompress(data, flags = PARSE_ZLIB_HEADER) -> data, nil when corrupt, truncated, over 32 KiB in
// or over the output limit.
int miniz_uncompress(lua_State* L) {
  auto data = check_view(L, 1);
  lua_Integer flags = luaL_optinteger(L, 2, kParseZlibHeader);
  if (data.size() > kMaxInput) return 0;
  auto plain = inflate_bytes(data, (flags & kParseZlibHeader) != 0, kMaxUncompressed);
  if (!plain) return 0;
  lua_pushlstring(L, plain->data(), plain->size());
  return 1;
}

}  // namespace

void open_miniz(lua_State* L) {
  const luaL_Reg functions[] = {
      {"compress", guarded<miniz_compress>}, {"uncompress", guarded<miniz_uncompress>}, {nullptr, nullptr}};
  luaL_newlib(L, functions);
  const std::pair<const char*, lua_Integer> constants[] = {
      {"WRITE_ZLIB_HEADER", kWriteZlibHeader},
      {"COMPUTE_ADLER32", kComputeAdler32},
      {"GREEDY_PARSING_FLAG", kGreedyParsing},
      {"NONDETERMINISTIC_PARSING_FLAG", kNondeterministicParsing},
      {"RLE_MATCHES", kRleMatches},
      {"FILTER_MATCHES", kFilterMatches},
      {"FORCE_ALL_STATIC_BLOCKS", kForceAllStaticBlocks},
      {"FORCE_ALL_RAW_BLOCKS", kForceAllRawBlocks},
      {"PARSE_ZLIB_HEADER", kParseZlibHeader},
      {"HAS_MORE_INPUT", kHasMoreInput},
      {"USING_NON_WRAPPING_OUTPUT_BUF", kUsingNonWrappingOutputBuf},
  };
  for (const auto& [name, value] : constants) {
    lua_pushinteger(L, value);
    lua_setfield(L, -2, name);
  }
  lua_setglobal(L, "miniz");
}

}  // namespace luatnet::lua
