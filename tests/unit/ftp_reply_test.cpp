// The FTP reply reader and the passive/size parsers: replies cut from a stream however it is split,
// multi-line replies, limits on lines and replies, streams that are not FTP, and 227/213 replies in the
// forms servers send.
#include "proto/ftp/ftp_reply.hpp"

#include <gtest/gtest.h>

#include <string>

namespace luatnet::proto::ftp {
namespace {

std::span<const std::uint8_t> bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(FtpReply, RepliesAreCutFromAStreamSplitAnywhere) {
  std::string stream = "220 ready\r\n211-Features:\r\n SIZE\r\n211 End\r\n200 ok\n";
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    ReplyReader reader;
    ASSERT_TRUE(reader.feed(bytes(stream.substr(0, split))));
    ASSERT_TRUE(reader.feed(bytes(stream.substr(split))));
    auto first = reader.next();
    auto second = reader.next();
    auto third = reader.next();
    ASSERT_TRUE(first && second && third) << split;
    EXPECT_EQ(first->code, 220);
    EXPECT_EQ(first->text, "220 ready\r\n");
    EXPECT_EQ(second->code, 211);
    EXPECT_EQ(second->text, "211-Features:\r\n SIZE\r\n211 End\r\n");
    EXPECT_EQ(third->code, 200);
    EXPECT_EQ(third->text, "200 ok\r\n");
    EXPECT_FALSE(reader.next());
  }
}

TEST(FtpReply, MultiLineReplyEndsOnlyWithItsOwnCode) {
  ReplyReader reader;
  ASSERT_TRUE(reader.feed(bytes("150-first\r\n226 not the end\r\n150-still going\r\n150 done\r\n")));
  auto reply = reader.next();
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->code, 150);
  EXPECT_TRUE(reply->preliminary());
  EXPECT_EQ(reply->text, "150-first\r\n226 not the end\r\n150-still going\r\n150 done\r\n");
}

TEST(FtpReply, IncompleteReplyWaits) {
  ReplyReader reader;
  ASSERT_TRUE(reader.feed(bytes("230 logged")));
  EXPECT_FALSE(reader.next());
  ASSERT_TRUE(reader.feed(bytes(" in\r\n")));
  auto reply = reader.next();
  ASSERT_TRUE(reply);
  EXPECT_TRUE(reply->positive());
}

TEST(FtpReply, StreamsThatAreNotFtpAreRefused) {
  for (std::string garbage : {"HTTP/1.1 200 OK\r\n", "20 short\r\n", "999 out of range\r\n", "200x\r\n", "\r\n"}) {
    ReplyReader reader;
    EXPECT_FALSE(reader.feed(bytes(garbage))) << garbage;
    EXPECT_FALSE(reader.feed(bytes("200 ok\r\n"))) << "stays refused after " << garbage;
  }
}

TEST(FtpReply, EndlessLinesAndRepliesAreRefused) {
  ReplyReader line;
  EXPECT_FALSE(line.feed(bytes("200 " + std::string(ReplyReader::kMaxLine, 'x'))));
  ReplyReader reply;
  ASSERT_TRUE(reply.feed(bytes("211-start\r\n")));
  bool accepted = true;
  for (int i = 0; i < 1000 && accepted; ++i) accepted = reply.feed(bytes(std::string(200, 'y') + "\r\n"));
  EXPECT_FALSE(accepted);
}

TEST(FtpReply, PassiveAddressInTheFormsServersSend) {
  auto parsed = parse_passive(Reply{227, "227 Entering Passive Mode (192,168,1,20,195,80).\r\n"});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->host, "192.168.1.20");
  EXPECT_EQ(parsed->port, 195 * 256 + 80);
  parsed = parse_passive(Reply{227, "227 =127,0,0,2,4,1\r\n"});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->host, "127.0.0.2");
  EXPECT_EQ(parsed->port, 1025);
  // A number before the address is skipped.
  parsed = parse_passive(Reply{227, "227 Mode 2 on (10,0,0,1,0,21)\r\n"});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->host, "10.0.0.1");
  EXPECT_EQ(parsed->port, 21);
}

TEST(FtpReply, BadPassiveRepliesGiveNothing) {
  EXPECT_FALSE(parse_passive(Reply{200, "200 (127,0,0,1,4,1)\r\n"}));    // not 227
  EXPECT_FALSE(parse_passive(Reply{227, "227 (127,0,0,1,4)\r\n"}));      // five numbers
  EXPECT_FALSE(parse_passive(Reply{227, "227 (127,0,0,1,256,1)\r\n"}));  // not a byte
  EXPECT_FALSE(parse_passive(Reply{227, "227 (127,0,0,1,0,0)\r\n"}));    // port 0
  EXPECT_FALSE(parse_passive(Reply{227, "227 (127,0,0,1,4,99999999999999999999)\r\n"}));
  EXPECT_FALSE(parse_passive(Reply{227, "227 no address\r\n"}));
}

TEST(FtpReply, UnroutablePassiveHostsAsTheFirmwareListsThem) {
  for (std::string_view host : {"10.1.2.3", "172.20.0.1", "192.168.0.9", "127.0.0.1", "0.0.0.0", "169.254.0.16"}) {
    EXPECT_TRUE(unroutable_passive_host(host)) << host;
  }
  for (std::string_view host : {"127.0.0.2", "8.8.8.8", "121.43.224.154"}) {
    EXPECT_FALSE(unroutable_passive_host(host)) << host;
  }
}

TEST(FtpReply, SizeReply) {
  EXPECT_EQ(parse_size(Reply{213, "213 1048576\r\n"}), std::optional<std::uint64_t>(1048576));
  EXPECT_FALSE(parse_size(Reply{550, "550 not a file\r\n"}));
  EXPECT_FALSE(parse_size(Reply{213, "213 \r\n"}));
  EXPECT_FALSE(parse_size(Reply{213, "213 99999999999999999999999\r\n"}));
}

}  // namespace
}  // namespace luatnet::proto::ftp
