#include "common/encoding.hpp"

#include <mbedtls/base64.h>

namespace luatnet {

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  size_t written = 0;
  mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &written, bytes.data(), bytes.size());
  out.resize(written);
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t written = 0;
  if (mbedtls_base64_decode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &written,
                            reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 0) {
    return std::nullopt;
  }
  out.resize(written);
  return out;
}

std::string hex_encode(std::string_view bytes, std::string_view separator) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size() * (2 + separator.size()));
  for (unsigned char byte : bytes) {
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
    out += separator;
  }
  return out;
}

std::string hex_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(text.size() / 2);
  int high = -1;
  for (char c : text) {
    int digit = value(c);
    if (digit < 0) {
      high = -1;
      continue;
    }
    if (high < 0) {
      high = digit;
    } else {
      out += static_cast<char>(high << 4 | digit);
      high = -1;
    }
  }
  return out;
}

std::string base32_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  std::uint32_t bits = 0;
  int pending = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    pending += 8;
    while (pending >= 5) {
      pending -= 5;
      out += kAlphabet[(bits >> pending) & 0x1F];
    }
  }
  if (pending > 0) out += kAlphabet[(bits << (5 - pending)) & 0x1F];
  return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
  std::string out;
  std::uint32_t bits = 0;
  int pending = 0;
  for (char raw : text) {
    auto c = static_cast<unsigned char>(raw);
    if (c == '\0') break;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '-') continue;
    if (c == '0') c = 'O';
    if (c == '1') c = 'L';
    if (c == '8') c = 'B';
    std::uint32_t digit = 0;
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
      digit = (c & 0x1F) - 1u;
    } else if (c >= '2' && c <= '7') {
      digit = c - '2' + 26u;
    } else {
      return std::nullopt;
    }
    bits = (bits << 5) | digit;
    pending += 5;
    if (pending >= 8) {
      pending -= 8;
      out += static_cast<char>((bits >> pending) & 0xFF);
    }
  }
  return out;
}

}  // namespace luatnet
