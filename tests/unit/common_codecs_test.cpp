// Units for the common codecs behind the helper modules: the CRC models against the CRC catalogue's check
// values (CRC RevEng), base32 against RFC 4648's vectors (padding cut), and bounded inflation.
#include <gtest/gtest.h>

#include <string>

#include "common/checksums.hpp"
#include "common/compression.hpp"
#include "common/encoding.hpp"

namespace luatnet {
namespace {

const std::string kCheck = "123456789";

TEST(Checksums, Crc16NamedModelsGiveTheCatalogueCheckValues) {
  const std::pair<const char*, std::uint16_t> expected[] = {
      {"IBM", 0xBB3D},         {"MAXIM", 0x44C2}, {"USB", 0xB4C8},    {"MODBUS", 0x4B37}, {"CCITT", 0x2189},
      {"CCITT-FALSE", 0x29B1}, {"X25", 0x906E},   {"XMODEM", 0x31C3}, {"DNP", 0xEA82}};
  for (const auto& [name, value] : expected) {
    auto model = crc16_model(name);
    ASSERT_TRUE(model) << name;
    EXPECT_EQ(crc16(as_bytes(kCheck), *model), value) << name;
  }
  EXPECT_FALSE(crc16_model("modbus"));
}

TEST(Checksums, Crc32ChainsAcrossChunks) {
  EXPECT_EQ(crc32_update(as_bytes(kCheck), 0xFFFFFFFF, 0) ^ 0xFFFFFFFF, 0xCBF43926u);
  std::uint32_t first = crc32_update(as_bytes("1234"), 0xFFFFFFFF, 0x04C11DB7);
  EXPECT_EQ(crc32_update(as_bytes("56789"), first, 0x04C11DB7) ^ 0xFFFFFFFF, 0xCBF43926u);
  EXPECT_EQ(crc32_update(as_bytes(kCheck), 0xFFFFFFFF, 0x1EDC6F41) ^ 0xFFFFFFFF, 0xE3069283u);
}

TEST(Checksums, Crc7) {
  EXPECT_EQ(crc7(as_bytes(kCheck), 0x09, 0), 0x75);  // CRC-7/MMC
  EXPECT_EQ(crc7(as_bytes(kCheck), 0x00, 0), 0x75);  // poly 0 means 0x09
}

TEST(Checksums, Crc8BothDirections) {
  EXPECT_EQ(crc8(as_bytes(kCheck), 0x00, 0x07, false), 0xF4);
  EXPECT_EQ(crc8(as_bytes(kCheck), 0x00, 0x31, true), 0xA1);
}

TEST(Encoding, Base32MatchesRfc4648WithoutPadding) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "MY"},         {"fo", "MZXQ"},
                                                         {"foo", "MZXW6"}, {"foob", "MZXW6YQ"}, {"fooba", "MZXW6YTB"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base32_encode(plain), encoded);
    EXPECT_EQ(base32_decode(encoded), std::optional<std::string>(plain));
  }
  EXPECT_FALSE(base32_decode("MY======"));
  EXPECT_EQ(base32_decode("my"), std::optional<std::string>("f"));
}

TEST(Compression, InflateStopsAtItsOutputLimit) {
  std::string plain(100000, 'a');
  auto packed = deflate_bytes(plain, {});
  ASSERT_TRUE(packed);
  EXPECT_EQ(inflate_bytes(*packed, true, plain.size()), std::optional<std::string>(plain));
  EXPECT_FALSE(inflate_bytes(*packed, true, plain.size() - 1));
  EXPECT_FALSE(inflate_bytes(packed->substr(0, packed->size() - 1), true, plain.size()));
  EXPECT_FALSE(inflate_bytes(*packed, false, plain.size()));  // a zlib stream is not raw deflate
}

TEST(Compression, RawDeflateRoundTrips) {
  std::string plain = "raw deflate data, raw deflate data";
  auto packed = deflate_bytes(plain, {.zlib_wrapper = false, .level = 9, .strategy = 0});
  ASSERT_TRUE(packed);
  EXPECT_EQ(inflate_bytes(*packed, false, 1024), std::optional<std::string>(plain));
}

}  // namespace
}  // namespace luatnet
