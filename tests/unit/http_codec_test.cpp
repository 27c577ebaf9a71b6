// The http module's sans-I/O parts: URLs taken apart as the firmware does (and the garbled ones refused),
// the request head in the firmware's order, and the response parser on sized, chunked, close-delimited,
// split and broken input.
#include <gtest/gtest.h>

#include <string>

#include "proto/http/http_request.hpp"
#include "proto/http/http_response.hpp"

namespace luatnet::proto::http {
namespace {

TEST(HttpUrl, TakesApartSchemeHostPortPathAndCredentials) {
  auto plain = parse_url("http://example.com");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->host, "example.com");
  EXPECT_EQ(plain->port, 80);
  EXPECT_EQ(plain->path, "/");

  auto full = parse_url("https://me:pw@10.0.0.1:8443/a/b?c=d#e");
  ASSERT_TRUE(full);
  EXPECT_TRUE(full->tls);
  EXPECT_EQ(full->userinfo, "me:pw");
  EXPECT_EQ(full->host, "10.0.0.1");
  EXPECT_EQ(full->port, 8443);
  EXPECT_EQ(full->path, "/a/b?c=d#e");

  auto v6 = parse_url("http://[::1]:8080/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 8080);
  auto v6_default = parse_url("https://[fe80::1]/");
  ASSERT_TRUE(v6_default);
  EXPECT_EQ(v6_default->port, 443);
  auto zero_port = parse_url("http://host.example:0/");
  ASSERT_TRUE(zero_port);
  EXPECT_EQ(zero_port->port, 80);  // as the firmware: 0 means the scheme's port
}

TEST(HttpUrl, RefusesWhatTheFirmwareRefusesAndWhatWouldBeSentGarbled) {
  for (const char* url : {"", "ftp://host.example/", "HTTP://host.example/", "http://a.b", "http://", "http:///abcdef",
                          "http://host.example:65536/", "http://host.example:8x/", "http://host.example/a b",
                          "http://host.example/\r\nX: 1", "http://[::1/x", "http://[::1]x/"}) {
    EXPECT_FALSE(parse_url(url)) << url;
  }
  EXPECT_FALSE(parse_url("http://" + std::string(256, 'h') + "/"));
  EXPECT_TRUE(parse_url("http://" + std::string(255, 'h') + "/"));
}

TEST(HttpUrl, KnowsTheFirmwaresMethods) {
  for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH"}) EXPECT_TRUE(method_supported(method));
  for (const char* method : {"HEAD", "get", "OPTIONS", ""}) EXPECT_FALSE(method_supported(method));
}

TEST(HttpRequestHead, FollowsTheFirmwaresOrder) {
  Request request{.method = "POST",
                  .target = *parse_url("http://u:p@h.example:81/p?q"),
                  .headers = {{"X-A", "1"}, {"Content-Length", "99"}, {"X-Empty", ""}, {"", "v"}},
                  .body = "abc"};
  EXPECT_EQ(serialize_head(request),
            "POST /p?q HTTP/1.1\r\nConnection: Close\r\nHost: h.example:81\r\nAuthorization: Basic dTpw\r\n"
            "X-A: 1\r\nContent-Length: 3\r\n\r\n");
}

TEST(HttpRequestHead, ScriptHostAndConnectionReplaceTheDefaults) {
  Request request{.method = "GET",
                  .target = *parse_url("http://[::1]:8080/"),
                  .headers = {{"host", "x"}, {"Connection", "keep-alive"}}};
  EXPECT_EQ(serialize_head(request), "GET / HTTP/1.1\r\nhost: x\r\nConnection: keep-alive\r\n\r\n");
  request.headers.clear();
  EXPECT_EQ(serialize_head(request), "GET / HTTP/1.1\r\nConnection: Close\r\nHost: [::1]:8080\r\n\r\n");
}

struct Collected {
  std::string body;
  int heads = 0;
};

ResponseParser::Progress feed_all(ResponseParser& parser, const std::string& text, std::size_t piece) {
  auto progress = ResponseParser::Progress::More;
  for (std::size_t at = 0; at < text.size() && progress == ResponseParser::Progress::More; at += piece) {
    auto part = std::string_view(text).substr(at, piece);
    progress = parser.feed(std::span(reinterpret_cast<const std::uint8_t*>(part.data()), part.size()));
  }
  return progress;
}

ResponseParser::Handlers collect(Collected& into) {
  return {.head_done = [&into] { ++into.heads; },
          .body =
              [&into](std::span<const std::uint8_t> bytes) {
                into.body.append(bytes.begin(), bytes.end());
                return true;
              }};
}

TEST(HttpResponse, ReadsSizedAndChunkedBodiesInAnyPieces) {
  const std::string sized = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Name:  spaced value \r\n\r\nhelloEXTRA";
  const std::string chunked =
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n";
  for (std::size_t piece : {1U, 2U, 7U, 1000U}) {
    Collected got;
    ResponseParser parser(8191, collect(got));
    EXPECT_EQ(feed_all(parser, sized, piece), ResponseParser::Progress::Complete);
    EXPECT_EQ(parser.status(), 200);
    EXPECT_EQ(got.body, "hello");
    EXPECT_EQ(got.heads, 1);
    EXPECT_EQ(parser.announced_length(), 5U);
    ASSERT_EQ(parser.headers().size(), 2U);
    EXPECT_EQ(parser.headers()[1].first, "X-Name");
    EXPECT_EQ(parser.headers()[1].second, "spaced value ");

    Collected chunks;
    ResponseParser chunk_parser(8191, collect(chunks));
    EXPECT_EQ(feed_all(chunk_parser, chunked, piece), ResponseParser::Progress::Complete);
    EXPECT_EQ(chunk_parser.status(), 201);
    EXPECT_EQ(chunks.body, "abcde");
    EXPECT_EQ(chunk_parser.announced_length(), 0U);
  }
}

TEST(HttpResponse, ABodyWithoutLengthEndsWithTheStream) {
  Collected got;
  ResponseParser parser(8191, collect(got));
  EXPECT_EQ(feed_all(parser, "HTTP/1.1 200 OK\r\n\r\nuntil the end", 4), ResponseParser::Progress::More);
  EXPECT_EQ(parser.end_of_stream(), ResponseParser::Progress::Complete);
  EXPECT_EQ(got.body, "until the end");
}

TEST(HttpResponse, CutShortIsNotComplete) {
  Collected got;
  ResponseParser sized(8191, collect(got));
  feed_all(sized, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100);
  EXPECT_EQ(sized.end_of_stream(), ResponseParser::Progress::BadBody);
  ResponseParser chunked(8191, collect(got));
  feed_all(chunked, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", 100);
  EXPECT_EQ(chunked.end_of_stream(), ResponseParser::Progress::BadBody);
  ResponseParser headless(8191, collect(got));
  feed_all(headless, "HTTP/1.1 200 OK\r\nContent-", 100);
  EXPECT_EQ(headless.end_of_stream(), ResponseParser::Progress::BadHead);
}

TEST(HttpResponse, BrokenInputIsAnErrorOfItsPart) {
  Collected got;
  ResponseParser garbage(8191, collect(got));
  EXPECT_EQ(feed_all(garbage, "NOT HTTP\r\n\r\n", 100), ResponseParser::Progress::BadHead);
  ResponseParser bad_chunk(8191, collect(got));
  EXPECT_EQ(feed_all(bad_chunk, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 100),
            ResponseParser::Progress::BadBody);
  ResponseParser refused(8191, {.head_done = {}, .body = [](auto) { return false; }});
  EXPECT_EQ(feed_all(refused, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", 100),
            ResponseParser::Progress::BadBody);
}

TEST(HttpResponse, TheHeadMayNotOutgrowTheLimitHoweverItArrives) {
  const std::string head = "HTTP/1.1 200 OK\r\nX: " + std::string(200, 'f') + "\r\nContent-Length: 2\r\n\r\nok";
  for (std::size_t piece : {1U, 50U, 10000U}) {
    Collected got;
    ResponseParser small(100, collect(got));
    EXPECT_EQ(feed_all(small, head, piece), ResponseParser::Progress::HeadTooLarge) << piece;
    ResponseParser enough(300, collect(got));
    EXPECT_EQ(feed_all(enough, head, piece), ResponseParser::Progress::Complete) << piece;
  }
}

}  // namespace
}  // namespace luatnet::proto::http
