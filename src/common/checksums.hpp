// Common: the CRC families LuatOS scripts compute (crypto.crc7/crc8/crc16/crc32/crc16_modbus), as the firmware
// parameterises them: a polynomial, a start value, an xor-out and a "reverse" flag selecting the
// reflected (LSB-first) form of the register. No Lua here, so units can check them against catalogue values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace luatnet {

// MSB-first CRC-8 (reverse=false) or the reflected form with the polynomial bit-reversed (reverse=true).
std::uint8_t crc8(std::span<const std::uint8_t> data, std::uint8_t start, std::uint8_t poly, bool reverse);

// MSB-first CRC-7 over the low 7 bits of `poly` (0 means 0x09) and `start`, as the firmware's crc7.
std::uint8_t crc7(std::span<const std::uint8_t> data, std::uint8_t poly, std::uint8_t start);

// One CRC-16 model: the fields of crypto.crc16's method table (reflect_in also reflects the register, so
// reflected models produce reflected output without reflect_out; reflect_out reverses the final value).
struct Crc16Model {
  std::uint16_t poly = 0;
  std::uint16_t init = 0;
  std::uint16_t xorout = 0;
  bool reflect_in = false;
  bool reflect_out = false;
};
// The firmware's named methods: IBM, MAXIM, USB, MODBUS, CCITT, CCITT-FALSE, X25, XMODEM, DNP and
// USER-DEFINED (all zero); nullopt for any other name.
std::optional<Crc16Model> crc16_model(std::string_view name);
std::uint16_t crc16(std::span<const std::uint8_t> data, const Crc16Model& model);

// Reflected CRC-32 over `poly` (0 means 0x04C11DB7) from register `start`, without a final xor: the
// caller xors, so chunks can be chained (crc32(b, crc32(a, s)) == crc32(a+b, s)).
std::uint32_t crc32_update(std::span<const std::uint8_t> data, std::uint32_t start, std::uint32_t poly);

}  // namespace luatnet
