#include "fs/kv_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace luatnet::fs {
namespace {

class KvStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/luatnet-kv-store-XXXXXX";
    ASSERT_NE(::mkdtemp(name), nullptr);
    folder_ = name;
    file_ = folder_ / "fs" / "fskv.bin";
  }
  void TearDown() override { std::filesystem::remove_all(folder_); }

  std::string file_bytes() const {
    std::ifstream in(file_, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void write_bytes(const std::string& bytes) const {
    std::ofstream(file_, std::ios::binary | std::ios::trunc) << bytes;
  }

  std::filesystem::path folder_;
  std::filesystem::path file_;
};

TEST_F(KvStoreTest, ValuesSurviveANewStore) {
  {
    KvStore store(file_);
    EXPECT_EQ(store.load(), KvStore::Loaded::Fresh);
    EXPECT_TRUE(store.set("b", std::string("x\0y", 3)));
    EXPECT_TRUE(store.set("a", "1"));
    EXPECT_TRUE(store.remove("missing"));
  }
  KvStore again(file_);
  EXPECT_EQ(again.load(), KvStore::Loaded::Restored);
  EXPECT_EQ(again.get("b"), std::string("x\0y", 3));
  EXPECT_EQ(again.key_at(0), "a");
  EXPECT_EQ(again.key_at(1), "b");
  EXPECT_EQ(again.key_at(2), std::nullopt);
  EXPECT_EQ(again.status().count, 2U);
}

TEST_F(KvStoreTest, DamagedFilesStartEmpty) {
  {
    KvStore store(file_);
    store.load();
    store.set("key", "value");
  }
  auto good = file_bytes();
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, good.size() - 1}) {
    write_bytes(good.substr(0, cut));
    KvStore store(file_);
    EXPECT_EQ(store.load(), KvStore::Loaded::Corrupt) << "cut at " << cut;
    EXPECT_EQ(store.status().count, 0U);
    EXPECT_TRUE(store.set("again", "1"));  // and it can be written again
  }
  auto flipped = good;
  flipped[flipped.size() / 2] ^= 0x40;
  write_bytes(flipped);
  KvStore store(file_);
  EXPECT_EQ(store.load(), KvStore::Loaded::Corrupt);
  write_bytes(good + "trailing");
  KvStore longer(file_);
  EXPECT_EQ(longer.load(), KvStore::Loaded::Corrupt);
}

TEST_F(KvStoreTest, LimitsOfTheFirmware) {
  KvStore store(file_);
  EXPECT_FALSE(store.set("early", "x"));  // not loaded yet
  store.load();
  EXPECT_FALSE(store.set("", "x"));
  EXPECT_FALSE(store.set(std::string(64, 'k'), "x"));
  EXPECT_TRUE(store.set(std::string(63, 'k'), "x"));
  EXPECT_FALSE(store.set("a/b", "x"));
  EXPECT_FALSE(store.set(std::string("a\0b", 3), "x"));
  EXPECT_FALSE(store.set("big", std::string(4097, 'v')));
  int stored = 0;
  for (int i = 0; i < 20; ++i) stored += store.set("fill" + std::to_string(i), std::string(4096, 'v')) ? 1 : 0;
  EXPECT_EQ(stored, 15);
  EXPECT_LE(store.status().used, KvStore::kCapacity);
  EXPECT_TRUE(store.clear());
  EXPECT_EQ(store.status().count, 0U);
}

}  // namespace
}  // namespace luatnet::fs
