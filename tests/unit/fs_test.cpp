// The file system layer: the device file system's mapping (DeviceFs, scan_project) and fskv's store.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "fs/device_fs.hpp"
#include "fs/kv_store.hpp"

namespace luatnet::fs {
namespace {

// A fresh temporary folder per test, removed afterwards.
class TemporaryFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/luatnet-fs-test-XXXXXX";
    ASSERT_NE(::mkdtemp(name), nullptr);
    base_ = name;
  }
  void TearDown() override { stdfs::remove_all(base_); }

  static void write(const stdfs::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
  static std::string read(const stdfs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  stdfs::path base_;
};

class DeviceFsTest : public TemporaryFolder {
 protected:
  void SetUp() override {
    TemporaryFolder::SetUp();
    stdfs::create_directories(base_ / "project" / "tcp" / "deep");
    stdfs::create_directories(base_ / "project" / ".hidden");
    write(base_ / "project" / "main.lua", "main");
    write(base_ / "project" / "config.json", "top");
    write(base_ / "project" / "tcp" / "config.json", "nested");
    write(base_ / "project" / "tcp" / "deep" / "ca.pem", "CA");
    write(base_ / "project" / ".hidden" / "secret.txt", "no");
  }
};

class KvStoreTest : public TemporaryFolder {
 protected:
  void SetUp() override {
    TemporaryFolder::SetUp();
    file_ = base_ / "fs" / "fskv.bin";
  }
  stdfs::path file_;
};

TEST_F(DeviceFsTest, FolderArgumentsAreSearchedThroughShallowestFirst) {
  auto project = base_ / "project";
  stdfs::create_directories(project / "data");
  write(project / "data" / "old.txt", "from an earlier run");
  auto layout = scan_project(project / "main.lua", {project.string()}, project / "data");
  ASSERT_EQ(layout.require_folders.size(), 3U);
  EXPECT_EQ(layout.require_folders[0], project);
  EXPECT_EQ(layout.require_folders[1], project / "tcp");
  EXPECT_EQ(layout.require_folders[2], project / "tcp" / "deep");
  EXPECT_EQ(layout.luadb.at("ca.pem"), project / "tcp" / "deep" / "ca.pem");
  EXPECT_EQ(layout.luadb.at("config.json"), project / "config.json");
  EXPECT_EQ(layout.luadb.count("secret.txt"), 0U);  // hidden folders are left out
  EXPECT_EQ(layout.luadb.count("old.txt"), 0U);     // and so is the data folder
  ASSERT_EQ(layout.warnings.size(), 1U);
  EXPECT_NE(layout.warnings[0].find("tcp/config.json"), std::string::npos);
}

TEST_F(DeviceFsTest, PathsAreNormalisedAndEscapesRefused) {
  DeviceFs device(base_ / "data", {});
  auto opened = device.open("/a/../data.txt", "w");
  ASSERT_NE(opened.file, nullptr);
  std::fclose(opened.file);
  EXPECT_TRUE(stdfs::exists(base_ / "data" / "data.txt"));
  EXPECT_TRUE(device.file_exists("data.txt"));
  EXPECT_TRUE(device.file_exists("//./data.txt"));
  EXPECT_THROW((void)device.file_exists("/../data/data.txt"), PathRefused);
  EXPECT_THROW(device.open("../x", "w"), PathRefused);
  EXPECT_THROW(device.make_dir("/luadb/../../x"), PathRefused);
  EXPECT_FALSE(stdfs::exists(base_ / "x"));
}

TEST_F(DeviceFsTest, SymlinksOutOfTheFolderAreRefused) {
  DeviceFs device(base_ / "data", {});
  ASSERT_TRUE(device.ensure_data_root());
  write(base_ / "outside.txt", "secret");
  write(base_ / "data" / "inside.txt", "mine");
  stdfs::create_symlink(base_ / "outside.txt", base_ / "data" / "out_link");
  stdfs::create_directory_symlink(base_, base_ / "data" / "dir_link");
  stdfs::create_symlink("inside.txt", base_ / "data" / "in_link");
  EXPECT_THROW(device.open("/out_link", "r"), PathRefused);
  EXPECT_THROW(device.remove("/dir_link/outside.txt"), PathRefused);
  EXPECT_TRUE(device.file_exists("/in_link"));
}

TEST_F(DeviceFsTest, LuadbIsReadOnly) {
  auto file = base_ / "project" / "config.json";
  DeviceFs device(base_ / "data", {{"config.json", file}});
  EXPECT_EQ(device.open("/luadb/config.json", "w").error, EROFS);
  EXPECT_EQ(device.open("/luadb/config.json", "a+").error, EROFS);
  EXPECT_EQ(device.open("/luadb/missing", "r").error, ENOENT);
  EXPECT_EQ(device.remove("/luadb/config.json"), EROFS);
  EXPECT_EQ(device.rename("/luadb/config.json", "/x"), EROFS);
  EXPECT_FALSE(device.make_dir("/luadb/d"));
  auto opened = device.open("/luadb/config.json", "r+");
  ASSERT_NE(opened.file, nullptr);
  EXPECT_EQ(std::fputs("x", opened.file) == EOF || std::fflush(opened.file) == EOF, true);
  std::fclose(opened.file);
  EXPECT_EQ(read(file), "top");
  auto entries = device.list_dir("/luadb/", 0, 10);
  ASSERT_EQ(entries.size(), 1U);
  EXPECT_EQ(entries[0].size, 3U);
}

TEST_F(DeviceFsTest, FoldersAsLittlefs) {
  DeviceFs device(base_ / "data", {});
  EXPECT_TRUE(device.dir_exists("/"));
  EXPECT_TRUE(device.list_dir("/", 0, 10).empty());
  EXPECT_FALSE(stdfs::exists(base_ / "data"));  // nothing written yet, nothing made
  EXPECT_TRUE(device.make_dir("/a/b/"));
  EXPECT_TRUE(device.make_dir("/a/b"));
  EXPECT_FALSE(device.remove_dir("/a"));
  EXPECT_TRUE(device.remove_dir("/a/b"));
  EXPECT_FALSE(device.remove_dir("/"));
  EXPECT_EQ(device.remove("/"), EBUSY);
  EXPECT_TRUE(stdfs::exists(base_ / "data"));
}

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
  auto good = read(file_);
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, good.size() - 1}) {
    write(file_, good.substr(0, cut));
    KvStore store(file_);
    EXPECT_EQ(store.load(), KvStore::Loaded::Corrupt) << "cut at " << cut;
    EXPECT_EQ(store.status().count, 0U);
    EXPECT_TRUE(store.set("again", "1"));  // and it can be written again
  }
  auto flipped = good;
  flipped[flipped.size() / 2] ^= 0x40;
  write(file_, flipped);
  KvStore store(file_);
  EXPECT_EQ(store.load(), KvStore::Loaded::Corrupt);
  write(file_, good + "trailing");
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
