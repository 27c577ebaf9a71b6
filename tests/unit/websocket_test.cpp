// The websocket protocol pieces: URL parsing, the upgrade request and the reading of its answer (split
// anywhere, refused when wrong or endless), and the Client against a real Python `websockets` server over
// wss: the right CA is accepted, another CA refused, and a server's close code reaches the error report.
#include <gtest/gtest.h>

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "adapter/adapter_registry.hpp"
#include "common/encoding.hpp"
#include "loop/event_loop.hpp"
#include "proto/websocket/client.hpp"
#include "proto/websocket/handshake.hpp"
#include "proto/websocket/text_frames.hpp"
#include "proto/websocket/url.hpp"

namespace luatnet::proto::websocket {
namespace {

TEST(WebSocketUrl, TakesWhatTheFirmwareTakes) {
  auto url = parse_url("wss://example.com:8443/chat/room?id=7#top");
  ASSERT_TRUE(url);
  EXPECT_TRUE(url->secure);
  EXPECT_EQ(url->host, "example.com");
  EXPECT_EQ(url->port, 8443);
  EXPECT_EQ(url->target, "/chat/room?id=7");
  url = parse_url("ws://example.com");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(parse_url("wss://h")->port, 443);
  EXPECT_EQ(parse_url("ws://h:0/x")->port, 80);  // the firmware's "no port"
  EXPECT_EQ(parse_url("ws://h?q=1")->target, "/?q=1");
  url = parse_url("127.0.0.1:8080/x");  // no scheme: ws, as the firmware
  ASSERT_TRUE(url);
  EXPECT_FALSE(url->secure);
  EXPECT_EQ(url->port, 8080);
  url = parse_url("ws://[::1]:9000/v6");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(host_header(*url), "[::1]:9000");
  EXPECT_EQ(host_header(*parse_url("ws://h/")), "h:80");
}

TEST(WebSocketUrl, RefusesWhatCannotReachAServer) {
  for (const char* bad : {"", "ws://", "ws:///x", "ws://:80/", "http://h/", "ws://h:65536/", "ws://h:12345678/",
                          "ws://h:x/", "ws://u:p@h/", "ws://h /", "ws://h\r\n/", "ws://[::1", "ws://[::1]x/"}) {
    EXPECT_FALSE(parse_url(bad)) << bad;
  }
  EXPECT_FALSE(parse_url("ws://" + std::string(254, 'a') + "/"));
}

TEST(WebSocketHandshake, AcceptIsTheRfcExample) {
  EXPECT_EQ(accept_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(new_key().size(), 24U);
  EXPECT_NE(new_key(), new_key());
}

TEST(WebSocketHandshake, RequestAsTheFirmwareWritesIt) {
  auto request = build_request(*parse_url("ws://h:81/p?q"), "KEY", "Auth:x\r\n");
  EXPECT_EQ(request,
            "GET /p?q HTTP/1.1\r\nHost: h:81\r\nAuth:x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: KEY\r\nSec-WebSocket-Version: 13\r\n\r\n");
}

TEST(WebSocketHandshake, ExtraHeaderLines) {
  EXPECT_EQ(header_lines({{"Auth", "Basic a.b-c_d *"}, {"X", "1"}}), "Auth:Basic a.b-c_d *\r\nX:1\r\n");
  EXPECT_FALSE(header_lines({{"A", ""}}));
  EXPECT_FALSE(header_lines({{"A", "b\r\nC: d"}}));
  EXPECT_FALSE(header_lines({{"A:B", "c"}}));
  EXPECT_FALSE(header_lines({{"A", std::string(300, 'v')}}));
  std::vector<std::pair<std::string, std::string>> many(10, {"Name", std::string(120, 'v')});
  EXPECT_FALSE(header_lines(many));  // over 1023 bytes together
  EXPECT_EQ(raw_header_lines("A: b"), "A: b\r\n");
  EXPECT_EQ(raw_header_lines("A: b\r\nC: d\r\n"), "A: b\r\nC: d\r\n");
  EXPECT_EQ(raw_header_lines(""), "");
  EXPECT_FALSE(raw_header_lines("A: b\r\n\r\nX"));
  EXPECT_FALSE(raw_header_lines(std::string(1024, 'a')));
}

std::string answer(std::string_view key, std::string_view extra = "") {
  return "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
         "Sec-WebSocket-Accept: " +
         accept_for(key) + "\r\n" + std::string(extra) + "\r\n";
}

TEST(WebSocketHandshake, AcceptsAnAnswerSplitAnywhereAndLeavesTheFrames) {
  std::string response = answer("k1") + "\x81\x02hi";
  for (std::size_t cut = 1; cut < response.size(); ++cut) {
    HandshakeReader reader("k1");
    std::size_t consumed = 0;
    auto first = reader.feed(as_bytes(std::string_view(response).substr(0, cut)), consumed);
    if (first == HandshakeReader::Status::Accepted) {
      EXPECT_EQ(consumed, response.size() - 4) << cut;
      continue;
    }
    ASSERT_EQ(first, HandshakeReader::Status::Incomplete) << cut;
    auto rest = std::string_view(response).substr(cut);
    ASSERT_EQ(reader.feed(as_bytes(rest), consumed), HandshakeReader::Status::Accepted) << cut;
    EXPECT_EQ(rest.substr(consumed), "\x81\x02hi") << cut;
  }
}

TEST(WebSocketHandshake, RefusesWrongAnswers) {
  auto judge = [](const std::string& response) {
    HandshakeReader reader("k1");
    std::size_t consumed = 0;
    return reader.feed(as_bytes(response), consumed);
  };
  EXPECT_EQ(judge("garbage\r\n\r\n"), HandshakeReader::Status::Rejected);
  EXPECT_EQ(judge("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), HandshakeReader::Status::Rejected);
  EXPECT_EQ(judge(answer("other key")), HandshakeReader::Status::Rejected);
  EXPECT_EQ(judge("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
                  accept_for("k1") + "\r\n\r\n"),
            HandshakeReader::Status::Rejected);
  HandshakeReader endless("k1");
  std::size_t consumed = 0;
  std::string line = "X-Pad: " + std::string(100, 'a') + "\r\n";
  ASSERT_EQ(endless.feed(as_bytes("HTTP/1.1 101 OK\r\n"), consumed), HandshakeReader::Status::Incomplete);
  HandshakeReader::Status status = HandshakeReader::Status::Incomplete;
  int lines = 0;
  for (; lines < 1000 && status == HandshakeReader::Status::Incomplete; ++lines)
    status = endless.feed(as_bytes(line), consumed);
  EXPECT_EQ(status, HandshakeReader::Status::Rejected);
  EXPECT_LE(lines * line.size(), HandshakeReader::kMaxResponse + line.size());
}

TEST(WebSocketTextFrames, TextBecomesBinaryAndIsRememberedAcrossAnySplit) {
  // text "hi" (FIN), a masked ping, a 300-byte text frame without FIN (16-bit length), a binary frame with
  // a 64-bit length of 2 and a continuation
  std::vector<std::uint8_t> stream = {0x81, 0x02, 'h', 'i', 0x89, 0x81, 1, 2, 3, 4, 'p', 0x01, 126, 0x01, 0x2C};
  stream.insert(stream.end(), 300, 'x');
  for (std::uint8_t byte : {0x82, 127, 0, 0, 0, 0, 0, 0, 0, 2, 0x01, 0x81, 0x80, 0x00}) stream.push_back(byte);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    auto bytes = stream;
    TextFrameUnmarker unmarker;
    unmarker.scan(std::span(bytes).subspan(0, cut));
    unmarker.scan(std::span(bytes).subspan(cut));
    EXPECT_EQ(bytes[0], 0x82) << cut;
    EXPECT_EQ(bytes[4], 0x89) << cut;
    EXPECT_EQ(bytes[11], 0x02) << cut;
    EXPECT_EQ(bytes[stream.size() - 2], 0x80) << cut;  // continuations keep their opcode
    std::vector<bool> text;
    for (int i = 0; i < 5; ++i) text.push_back(unmarker.next_frame_was_text());
    EXPECT_EQ(text, (std::vector<bool>{true, false, true, false, false})) << cut;
    EXPECT_FALSE(unmarker.next_frame_was_text());
  }
}

// The Client over wss against the Python server (tests/peers/websocket_server.py) with certificates that
// openssl makes here.
class WebSocketClientTest : public ::testing::Test {
 protected:
  WebSocketClientTest() : adapters_(loop_), sockets_(loop_, adapters_) {
    adapters_.configure(adapter::default_adapters_config());
    dir_ = std::filesystem::temp_directory_path() / ("luatnet-ws-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto openssl = [&](const std::string& args) {
      std::string command = "cd " + dir_.string() + " && openssl " + args + " >/dev/null 2>&1";
      EXPECT_EQ(std::system(command.c_str()), 0) << args;
    };
    openssl("req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=wsCA");
    openssl("req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 -subj /CN=otherCA");
    openssl("req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost");
    std::ofstream(dir_ / "san.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    openssl(
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.cnf");
    port_ = free_port();
    std::string command = "setsid timeout 40 /usr/bin/python3 " LUATNET_TEST_PEERS "/websocket_server.py --port " +
                          std::to_string(port_) + " --cert " + (dir_ / "server.pem").string() + " --key " +
                          (dir_ / "server.key").string() + " --lifetime 35 >/dev/null 2>&1 & echo $! > " +
                          (dir_ / "pid").string();
    EXPECT_EQ(std::system(command.c_str()), 0);
    wait_for_server();
  }
  ~WebSocketClientTest() override {
    std::string command = "kill $(cat " + (dir_ / "pid").string() + ") 2>/dev/null";
    (void)std::system(command.c_str());
    std::filesystem::remove_all(dir_);
  }

  std::uint16_t free_port() {
    asio::ip::tcp::acceptor probe(loop_.io(), {asio::ip::make_address("127.0.0.1"), 0});
    return probe.local_endpoint().port();
  }
  void wait_for_server() {
    for (int i = 0; i < 200; ++i) {
      asio::ip::tcp::socket socket(loop_.io());
      std::error_code error;
      socket.connect({asio::ip::make_address("127.0.0.1"), port_}, error);
      if (!error) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL() << "server did not start";
  }
  std::string read(const char* name) {
    std::ifstream file(dir_ / name);
    return {std::istreambuf_iterator<char>(file), {}};
  }
  template <typename Predicate>
  void run_until(Predicate done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      loop_.io().run_one_for(std::chrono::milliseconds(5));
      if (loop_.io().stopped()) loop_.io().restart();
    }
  }
  struct Seen {
    bool connack = false;
    std::vector<std::string> frames;
    std::optional<ErrorKind> error;
    int close_code = -1;
    bool disconnected = false;
  };
  std::shared_ptr<Client> client(const std::string& path, const std::string& ca, Seen& seen) {
    std::string error;
    auto credentials = tls::make_credentials(false, ca, std::nullopt, std::nullopt, std::nullopt, error);
    EXPECT_TRUE(credentials) << error;
    return Client::create(
        sockets_, loop_.io(), *parse_url("wss://127.0.0.1:" + std::to_string(port_) + path),
        ClientOptions{.adapter_index = adapters_.default_index(), .tls = *credentials},
        ClientHandlers{.connack = [&seen] { seen.connack = true; },
                       .frame = [&seen](std::string_view data, bool, int) { seen.frames.emplace_back(data); },
                       .sent = {},
                       .error =
                           [&seen](ErrorKind kind, int code) {
                             seen.error = kind;
                             seen.close_code = code;
                           },
                       .disconnect = [&seen] { seen.disconnected = true; }});
  }

  loop::EventLoop loop_;
  adapter::AdapterRegistry adapters_;
  socket::SocketRegistry sockets_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
};

TEST_F(WebSocketClientTest, WssWithTheRightCaEchoes) {
  Seen seen;
  auto ws = client("/echo", read("ca.pem"), seen);
  ASSERT_TRUE(ws->connect());
  run_until([&] { return seen.connack || seen.disconnected; });
  ASSERT_TRUE(seen.connack);
  ASSERT_TRUE(ws->send(as_bytes("verified"), false));
  run_until([&] { return !seen.frames.empty(); });
  ASSERT_EQ(seen.frames.size(), 1U);
  EXPECT_EQ(seen.frames[0], "verified");
  ws->close();
  EXPECT_FALSE(ws->ready());
}

TEST_F(WebSocketClientTest, WssWithAnotherCaIsRefused) {
  Seen seen;
  auto ws = client("/echo", read("other.pem"), seen);
  ASSERT_TRUE(ws->connect());
  run_until([&] { return seen.disconnected; });
  EXPECT_FALSE(seen.connack);
  ASSERT_TRUE(seen.error);
  EXPECT_EQ(*seen.error, ErrorKind::Connect);
}

TEST_F(WebSocketClientTest, ServerCloseCodeIsReported) {
  Seen seen;
  auto ws = client("/close/4002", read("ca.pem"), seen);
  ASSERT_TRUE(ws->connect());
  run_until([&] { return seen.disconnected; });
  EXPECT_TRUE(seen.connack);
  ASSERT_TRUE(seen.error);
  EXPECT_EQ(*seen.error, ErrorKind::Rx);
  EXPECT_EQ(seen.close_code, 4002);
}

}  // namespace
}  // namespace luatnet::proto::websocket
