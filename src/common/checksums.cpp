#include "common/checksums.hpp"

#include <array>
#include <utility>

namespace luatnet {
namespace {

template <typename T>
T reflect(T value, int bits) {
  T out = 0;
  for (int i = 0; i < bits; ++i) {
    if (value & (T{1} << i)) out |= T{1} << (bits - 1 - i);
  }
  return out;
}

}  // namespace

std::uint8_t crc8(std::span<const std::uint8_t> data, std::uint8_t start, std::uint8_t poly, bool reverse) {
  std::uint8_t crc = start;
  if (reverse) {
    std::uint8_t reflected = reflect<std::uint8_t>(poly, 8);
    for (std::uint8_t byte : data) {
      crc ^= byte;
      for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? static_cast<std::uint8_t>((crc >> 1) ^ reflected) : crc >> 1;
    }
    return crc;
  }
  for (std::uint8_t byte : data) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x80) ? static_cast<std::uint8_t>((crc << 1) ^ poly) : static_cast<std::uint8_t>(crc << 1);
    }
  }
  return crc;
}

std::uint8_t crc7(std::span<const std::uint8_t> data, std::uint8_t poly, std::uint8_t start) {
  poly &= 0x7F;
  if (poly == 0) poly = 0x09;
  std::uint8_t crc = start & 0x7F;
  for (std::uint8_t byte : data) {
    for (int bit = 7; bit >= 0; --bit) {
      bool feedback = (((crc >> 6) ^ (byte >> bit)) & 1) != 0;
      crc = static_cast<std::uint8_t>((crc << 1) & 0x7F);
      if (feedback) crc ^= poly;
    }
  }
  return crc;
}

std::optional<Crc16Model> crc16_model(std::string_view name) {
  static constexpr std::pair<std::string_view, Crc16Model> kModels[] = {
      {"IBM", {0x8005, 0x0000, 0x0000, true, false}},   {"MAXIM", {0x8005, 0x0000, 0xFFFF, true, false}},
      {"USB", {0x8005, 0xFFFF, 0xFFFF, true, false}},   {"MODBUS", {0x8005, 0xFFFF, 0x0000, true, false}},
      {"CCITT", {0x1021, 0x0000, 0x0000, true, false}}, {"CCITT-FALSE", {0x1021, 0xFFFF, 0x0000, false, false}},
      {"X25", {0x1021, 0xFFFF, 0xFFFF, true, false}},   {"XMODEM", {0x1021, 0x0000, 0x0000, false, false}},
      {"DNP", {0x3D65, 0x0000, 0xFFFF, true, false}},   {"USER-DEFINED", {0x0000, 0x0000, 0x0000, false, false}},
  };
  for (const auto& [known, model] : kModels) {
    if (known == name) return model;
  }
  return std::nullopt;
}

std::uint16_t crc16(std::span<const std::uint8_t> data, const Crc16Model& model) {
  std::uint16_t crc = model.init;
  if (model.reflect_in) {
    std::uint16_t reflected = reflect<std::uint16_t>(model.poly, 16);
    for (std::uint8_t byte : data) {
      crc ^= byte;
      for (int bit = 0; bit < 8; ++bit) {
        crc = (crc & 1) ? static_cast<std::uint16_t>((crc >> 1) ^ reflected) : static_cast<std::uint16_t>(crc >> 1);
      }
    }
  } else {
    for (std::uint8_t byte : data) {
      crc ^= static_cast<std::uint16_t>(byte << 8);
      for (int bit = 0; bit < 8; ++bit) {
        crc =
            (crc & 0x8000) ? static_cast<std::uint16_t>((crc << 1) ^ model.poly) : static_cast<std::uint16_t>(crc << 1);
      }
    }
  }
  crc ^= model.xorout;
  return model.reflect_out ? reflect<std::uint16_t>(crc, 16) : crc;
}

std::uint32_t crc32_update(std::span<const std::uint8_t> data, std::uint32_t start, std::uint32_t poly) {
  std::uint32_t reflected = reflect<std::uint32_t>(poly == 0 ? 0x04C11DB7u : poly, 32);
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t entry = i;
    for (int bit = 0; bit < 8; ++bit) entry = (entry & 1) ? (entry >> 1) ^ reflected : entry >> 1;
    table[i] = entry;
  }
  std::uint32_t crc = start;
  for (std::uint8_t byte : data) crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8);
  return crc;
}

}  // namespace luatnet
