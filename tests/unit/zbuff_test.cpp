#include "buffer/zbuff.hpp"

#include <gtest/gtest.h>

#include <string>

namespace luatnet::buffer {
namespace {

std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(ZBuff, WriteStopsAtTheEndAndAdvancesTheCursor) {
  ZBuff buff(4);
  EXPECT_EQ(buff.write_at_cursor(bytes_of("abcdef")), 4U);
  EXPECT_EQ(buff.used(), 4U);
  EXPECT_EQ(buff.text(0, 4), "abcd");
  EXPECT_EQ(buff.write_at_cursor(bytes_of("x")), 0U);
}

TEST(ZBuff, PrepareGrowsAndCommitMovesUsed) {
  ZBuff buff(2);
  buff.write_at_cursor(bytes_of("ab"));
  auto room = buff.prepare(3);
  ASSERT_EQ(room.size(), 3U);
  room[0] = 'c';
  room[1] = 'd';
  buff.commit(2);
  EXPECT_EQ(buff.used(), 4U);
  EXPECT_GE(buff.length(), 5U);
  EXPECT_EQ(buff.text(0, buff.used()), "abcd");
}

TEST(ZBuff, CopyInGrowsAndKeepsTheLargerUsed) {
  ZBuff buff(3);
  buff.copy_in(5, bytes_of("xy"));
  EXPECT_EQ(buff.length(), 7U);
  EXPECT_EQ(buff.used(), 7U);
  buff.copy_in(0, bytes_of("A"));
  EXPECT_EQ(buff.used(), 7U);
  EXPECT_EQ(buff.data()[0], 'A');
}

TEST(ZBuff, EraseUsedMovesTheTailDown) {
  ZBuff buff(8);
  buff.write_at_cursor(bytes_of("0123456"));
  buff.erase_used(1, 2);
  EXPECT_EQ(buff.text(0, buff.used()), "03456");
  buff.erase_used(3, 100);
  EXPECT_EQ(buff.text(0, buff.used()), "034");
  buff.erase_used(10, 1);
  EXPECT_EQ(buff.used(), 3U);
}

TEST(ZBuff, ResizeClampsUsedAndViewsClampToLength) {
  ZBuff buff(8, 0x33);
  buff.set_used(100);
  EXPECT_EQ(buff.used(), 8U);
  buff.resize(3);
  EXPECT_EQ(buff.used(), 3U);
  EXPECT_EQ(buff.view(2, 10).size(), 1U);
  EXPECT_EQ(buff.view(10, 10).size(), 0U);
  buff.release();
  EXPECT_EQ(buff.length(), 0U);
  EXPECT_EQ(buff.used(), 0U);
}

TEST(ZBuff, FillIsBoundedByTheLength) {
  ZBuff buff(4);
  buff.fill(2, 100, 0xAA);
  EXPECT_EQ(buff.data()[1], 0);
  EXPECT_EQ(buff.data()[3], 0xAA);
  buff.fill(9, 1, 1);  // out of range: nothing happens
}

}  // namespace
}  // namespace luatnet::buffer
