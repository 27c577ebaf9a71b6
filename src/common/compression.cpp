#include "common/compression.hpp"

#include <zlib.h>

namespace luatnet {
namespace {

constexpr int kWindowBits = 15;

Bytef* input_bytes(std::string_view input) {
  // zlib's next_in is not const before 1.2.9's ZLIB_CONST; it never writes through it.
  return reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
}

}  // namespace

std::optional<std::string> deflate_bytes(std::string_view input, const DeflateSettings& settings) {
  z_stream stream{};
  int window = settings.zlib_wrapper ? kWindowBits : -kWindowBits;
  if (deflateInit2(&stream, settings.level, Z_DEFLATED, window, 8, settings.strategy) != Z_OK) return std::nullopt;
  std::string out(deflateBound(&stream, static_cast<uLong>(input.size())), '\0');
  stream.next_in = input_bytes(input);
  stream.avail_in = static_cast<uInt>(input.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int status = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  if (status != Z_STREAM_END) return std::nullopt;
  return out;
}

std::optional<std::string> inflate_bytes(std::string_view input, bool zlib_wrapper, std::size_t max_output) {
  z_stream stream{};
  if (inflateInit2(&stream, zlib_wrapper ? kWindowBits : -kWindowBits) != Z_OK) return std::nullopt;
  std::string out;
  stream.next_in = input_bytes(input);
  stream.avail_in = static_cast<uInt>(input.size());
  char chunk[16384];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    status = inflate(&stream, Z_NO_FLUSH);
    size_t produced = sizeof chunk - stream.avail_out;
    if (produced > max_output - out.size()) {
      status = Z_BUF_ERROR;
      break;
    }
    out.append(chunk, produced);  // Z_BUF_ERROR (no progress with fresh output room) means truncated input
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END) return std::nullopt;
  return out;
}

}  // namespace luatnet
