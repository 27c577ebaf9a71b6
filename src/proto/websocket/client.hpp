// Protocol layer, websocket: one WebSocket client as the firmware's luat_websocket.c runs it, on a
// proto::Connection. It does the HTTP upgrade (handshake.hpp), frames with wslay (client frames masked with
// random keys), answers pings, sends a ping after `keepalive` seconds without traffic, reports every frame
// of a message on its own (fin and opcode as received, no reassembly, at most max_frame bytes each), counts
// sent frames until the socket reports them acknowledged, passes text on without a UTF-8 check (as the
// firmware), and reconnects after a delay when asked to.
// Failures are reported as the firmware reports them: error(kind) and then disconnect.
#pragma once

#include <wslay/wslay.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "loop/activity.hpp"
#include "loop/timer.hpp"
#include "proto/connection.hpp"
#include "proto/websocket/handshake.hpp"
#include "proto/websocket/text_frames.hpp"
#include "proto/websocket/url.hpp"

namespace luatnet::proto::websocket {

enum class ErrorKind { Connect, Tx, Rx };  // the firmware's "connect", "tx", "rx"

struct ClientOptions {
  int adapter_index = 0;
  bool prefer_ipv6 = false;
  // For wss:// URLs. Empty credentials verify nothing, as the firmware's websocket.create.
  tls::Credentials tls;
  std::chrono::seconds keepalive{60};
  std::size_t max_frame = 32 * 1024;  // the firmware's WEBSOCKET_PAYLOAD_MAX with PSRAM (the PC build too)
};

// Handlers run inside the Client's own calls (from the loop): they must not call back into the Client; the
// Lua binding only posts them to the bus.
struct ClientHandlers {
  std::function<void()> connack;
  std::function<void(std::string_view payload, bool fin, int opcode)> frame;  // opcodes 0, 1, 2
  std::function<void()> sent;                                                 // one per acknowledged send()
  // close_code: the server's status code when a close frame ended the session, else 0.
  std::function<void(ErrorKind, int close_code)> error;
  std::function<void()> disconnect;
};

class Client final : public std::enable_shared_from_this<Client> {
 public:
  static constexpr std::size_t kMaxSendPayload = 0xFFFE;  // the firmware sends 16-bit lengths below 0xFFFF

  static std::shared_ptr<Client> create(socket::SocketRegistry& sockets, asio::io_context& io, Url url,
                                        ClientOptions options, ClientHandlers handlers);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Whole header lines (each ending in CRLF) sent with the next upgrade requests.
  void set_extra_headers(std::string lines) { extra_headers_ = std::move(lines); }
  // Reconnect `delay` after each failure (the firmware's minimum is one second).
  void set_reconnect(bool enabled, std::chrono::milliseconds delay);
  // Drops any session and starts a new one. false: failed at once (error and disconnect follow).
  bool connect();
  // One frame with FIN set, text or binary. false: not open, or longer than kMaxSendPayload.
  bool send(std::span<const std::uint8_t> payload, bool binary);
  // Sends a close frame (1000) when open, closes the socket and reports nothing more. Final.
  void close();

  [[nodiscard]] bool ready() const { return state_ == State::Open; }
  [[nodiscard]] bool closed() const { return state_ == State::Released; }

 private:
  enum class State { Idle, Connecting, Handshaking, Open, Released };
  struct SessionDeleter {
    void operator()(wslay_event_context* context) const;
  };

  Client(socket::SocketRegistry& sockets, asio::io_context& io, Url url, ClientOptions options,
         ClientHandlers handlers);
  std::shared_ptr<Connection> open_connection(std::uint64_t generation);
  void on_connected(std::uint64_t generation);
  void on_received(std::uint64_t generation, std::span<const std::uint8_t> bytes);
  void on_drained(std::uint64_t generation);
  void on_closed(std::uint64_t generation, int result);
  void start_session();
  void read_frames(std::span<const std::uint8_t> bytes);
  bool flush();
  void fail(ErrorKind kind, int close_code = 0);
  void retire_connection(bool graceful);
  void restart_ping();
  void send_ping();

  // wslay callbacks (user data: the Client)
  static ssize_t on_wslay_recv(wslay_event_context*, std::uint8_t* buffer, std::size_t length, int, void* self);
  static ssize_t on_wslay_send(wslay_event_context*, const std::uint8_t* data, std::size_t length, int, void* self);
  static int on_wslay_genmask(wslay_event_context*, std::uint8_t* buffer, std::size_t length, void*);
  static void on_wslay_frame_start(wslay_event_context*, const struct wslay_event_on_frame_recv_start_arg* arg,
                                   void* self);
  static void on_wslay_frame_chunk(wslay_event_context*, const struct wslay_event_on_frame_recv_chunk_arg* arg,
                                   void* self);
  static void on_wslay_frame_end(wslay_event_context*, void* self);

  socket::SocketRegistry& sockets_;
  asio::io_context& io_;
  Url url_;
  ClientOptions options_;
  ClientHandlers handlers_;
  std::string extra_headers_;
  bool reconnect_ = false;
  std::chrono::milliseconds reconnect_delay_{3000};

  State state_ = State::Idle;
  std::uint64_t generation_ = 0;            // of the current connection; events of older ones are ignored
  std::shared_ptr<Connection> connection_;  // the current session's
  std::shared_ptr<Connection> closing_;     // a finished session's, until its close completes
  std::uint64_t closing_generation_ = 0;
  std::optional<HandshakeReader> handshake_;
  std::unique_ptr<wslay_event_context, SessionDeleter> session_;
  std::span<const std::uint8_t> unread_;  // received bytes wslay has not taken yet
  TextFrameUnmarker unmarker_;
  std::vector<std::uint8_t> outgoing_;  // frames wslay wrote during one flush
  // the frame being received
  bool frame_fin_ = false;
  int frame_opcode_ = 0;
  bool frame_is_data_ = false;  // text, binary or continuation: handed on (control frames are wslay's)
  std::string frame_payload_;
  bool frame_too_long_ = false;
  std::size_t unacknowledged_sends_ = 0;
  loop::Timer ping_timer_;
  loop::Timer reconnect_timer_;
  loop::ActiveHandle reconnect_armed_;  // the run is not idle while a reconnect waits for its delay
};

}  // namespace luatnet::proto::websocket
