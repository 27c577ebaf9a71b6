// Common: byte encodings shared by several Lua modules (base64 on mbedTLS, hex, base32).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace luatnet {

std::string base64_encode(std::span<const std::uint8_t> bytes);
std::optional<std::string> base64_decode(std::string_view text);
std::string hex_encode(std::string_view bytes, std::string_view separator = {});
// Pairs hex digits; any other character drops a pending half byte, an odd trailing digit is dropped (as
// the firmware's string.fromHex).
std::string hex_decode(std::string_view text);
// RFC 4648 alphabet without '=' padding, as the firmware's string.toBase32.
std::string base32_encode(std::string_view bytes);
// The firmware's lenient decoder: case-insensitive, skips space, tab, CR, LF and '-', reads 0/1/8 as O/L/B,
// stops at a NUL byte; any other character (padding '=' included) makes it fail (nullopt).
std::optional<std::string> base32_decode(std::string_view text);

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace luatnet
