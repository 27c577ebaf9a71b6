// Common: deflate compression in memory on zlib, with the zlib wrapper or as raw deflate, and inflation
// bounded by a caller-given output limit (so a small hostile input cannot grow without end). No Lua here.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace luatnet {

struct DeflateSettings {
  bool zlib_wrapper = true;  // the 2-byte header and Adler-32 trailer; false gives raw deflate
  int level = 6;             // zlib's 0 (stored) .. 9
  int strategy = 0;          // Z_DEFAULT_STRATEGY, Z_FILTERED, Z_RLE, Z_FIXED
};

// nullopt only when zlib refuses the settings or runs out of memory.
std::optional<std::string> deflate_bytes(std::string_view input, const DeflateSettings& settings);

// The data of the first complete stream in `input` (bytes after its end are ignored, as tinfl does).
// nullopt for a corrupt or truncated stream, a bad header or checksum, or output beyond max_output.
std::optional<std::string> inflate_bytes(std::string_view input, bool zlib_wrapper, std::size_t max_output);

}  // namespace luatnet
