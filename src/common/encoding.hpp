// Common: byte encodings shared by several Lua modules (base64 on mbedTLS, hex).
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
// Ignores characters that are not hex digits; an odd trailing digit is dropped (as the firmware).
std::string hex_decode(std::string_view text);

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace luatnet
