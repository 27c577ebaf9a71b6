// Protocol layer, http: one request from connect to result, as the firmware's http client runs it. It
// connects through a proto::Connection (so adapter, DNS, TLS, simulated links apply), sends the head and
// body, reads the response (in memory or into a download file), closes its side once the body is
// complete, and reports exactly one Result: the status with headers and body, or one of the firmware's
// negative error codes. A timeout covers the whole request.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>

#include "loop/activity.hpp"
#include "loop/timer.hpp"
#include "proto/connection.hpp"
#include "proto/http/http_request.hpp"
#include "proto/http/http_response.hpp"

namespace luatnet::proto::http {

// The firmware's error codes (what http.request(...).wait() answers instead of a status).
enum Error : int {
  kErrorState = -1,
  kErrorHeader = -2,    // the response head cannot be parsed
  kErrorBody = -3,      // the body cannot be parsed (bad chunk framing)
  kErrorConnect = -4,   // no connection (refused, DNS, TLS handshake), or the request was refused at once
  kErrorClose = -5,     // the server closed before the response was complete
  kErrorRx = -6,        // the response head is larger than the receive buffer
  kErrorDownload = -7,  // the body cannot be kept (download file, memory)
  kErrorTimeout = -8,
};

// Where a download goes. The owner maps the script's path onto the host (the seam for the device's file
// system): `open` creates or truncates the file, `remove` deletes it when the download fails.
struct DownloadTarget {
  std::function<std::FILE*()> open;
  std::function<void()> remove;
};

struct ClientOptions {
  ConnectionOptions connection;
  std::chrono::milliseconds timeout{60000};
  std::optional<DownloadTarget> download;
  std::size_t head_limit = 8191;            // the firmware's receive buffer, less its terminator
  std::size_t max_body = 64 * 1024 * 1024;  // kept in memory; more is kErrorDownload (the device's out of memory)
  bool debug = false;
};

struct Result {
  int code = kErrorState;  // the status (>= 100) or an Error
  HeaderList headers;
  std::string body;  // empty for a download
  std::uint64_t body_length = 0;
};

struct ClientHandlers {
  // After the head (received 0) and after each piece of body; announced is the Content-Length or 0.
  std::function<void(std::uint64_t announced, std::uint64_t received)> progress;
  std::function<void(Result)> done;  // exactly once, never from inside start()
};

class Client final : public std::enable_shared_from_this<Client> {
 public:
  // nullptr when the request cannot start (no such adapter, no socket left, connect refused at once).
  static std::shared_ptr<Client> start(socket::SocketRegistry& sockets, asio::io_context& io, Request request,
                                       ClientOptions options, ClientHandlers handlers);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Stops the request; no callback follows.
  void abort();

 private:
  Client(asio::io_context& io, Request request, ClientOptions options, ClientHandlers handlers);
  // A callback for the Connection that calls `method` while this client exists.
  template <typename... Args>
  auto relay(void (Client::*method)(Args...)) {
    return [weak = weak_from_this(), method](Args... args) {
      if (auto self = weak.lock()) (self.get()->*method)(args...);
    };
  }
  void on_connected();
  void on_received(std::span<const std::uint8_t> bytes);
  void on_closed(int result);
  void on_progress(ResponseParser::Progress progress);
  void on_head();
  bool on_body(std::span<const std::uint8_t> bytes);
  void fail(int code);
  void succeed();
  void finish(Result result);
  void stop();
  void close_download(bool keep);
  void log(const std::string& text) const;

  Request request_;
  ClientOptions options_;
  ClientHandlers handlers_;
  std::shared_ptr<Connection> connection_;
  loop::Timer timer_;
  loop::ActiveHandle under_way_;  // from start() until the result or abort(): the run is not idle
  ResponseParser parser_;
  std::FILE* download_file_ = nullptr;
  std::string body_;
  std::uint64_t received_ = 0;
  int body_error_ = 0;  // set when on_body refused bytes
  bool connected_ = false;
  bool finished_ = false;
};

}  // namespace luatnet::proto::http
