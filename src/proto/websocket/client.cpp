#include "proto/websocket/client.hpp"

#include <mbedtls/ctr_drbg.h>

#include "common/logger.hpp"
#include "tls/tls_context.hpp"

namespace luatnet::proto::websocket {
namespace {

constexpr const char* kLogTag = "websocket";

void log(LogLevel level, const std::string& text) { Logger::instance().log(level, kLogTag, text); }

}  // namespace

void Client::SessionDeleter::operator()(wslay_event_context* context) const { wslay_event_context_free(context); }

Client::Client(socket::SocketRegistry& sockets, asio::io_context& io, Url url, ClientOptions options,
               ClientHandlers handlers)
    : sockets_(sockets),
      io_(io),
      url_(std::move(url)),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      ping_timer_(io),
      reconnect_timer_(io),
      reconnect_armed_(io) {}

std::shared_ptr<Client> Client::create(socket::SocketRegistry& sockets, asio::io_context& io, Url url,
                                       ClientOptions options, ClientHandlers handlers) {
  return std::shared_ptr<Client>(new Client(sockets, io, std::move(url), std::move(options), std::move(handlers)));
}

Client::~Client() {
  if (connection_) connection_->abort();
  if (closing_) closing_->abort();
}

void Client::set_reconnect(bool enabled, std::chrono::milliseconds delay) {
  reconnect_ = enabled;
  if (enabled) reconnect_delay_ = std::max(delay, std::chrono::milliseconds(1000));
}

std::shared_ptr<Connection> Client::open_connection(std::uint64_t generation) {
  ConnectionOptions options{.adapter_index = options_.adapter_index, .prefer_ipv6 = options_.prefer_ipv6};
  if (url_.secure) options.tls = options_.tls;
  return Connection::create(sockets_, io_, options,
                            handlers_for(weak_from_this(), generation, &Client::on_connected, &Client::on_received,
                                         &Client::on_drained, &Client::on_closed));
}

bool Client::connect() {
  if (state_ == State::Released) return false;
  reconnect_timer_.cancel();
  reconnect_armed_.release();
  ping_timer_.cancel();
  retire_connection(false);
  session_.reset();
  handshake_.reset();
  unacknowledged_sends_ = 0;
  state_ = State::Connecting;
  connection_ = open_connection(++generation_);
  if (!connection_ || !connection_->open(url_.host, url_.port)) {
    log(LogLevel::Warn, "cannot connect to " + url_.host + ":" + std::to_string(url_.port));
    fail(ErrorKind::Connect);
    return false;
  }
  return true;
}

void Client::on_connected(std::uint64_t generation) {
  if (generation != generation_ || state_ != State::Connecting) return;
  std::string key = new_key();
  handshake_.emplace(key);
  state_ = State::Handshaking;
  if (!connection_->send(build_request(url_, key, extra_headers_))) fail(ErrorKind::Connect);
}

void Client::on_received(std::uint64_t generation, std::span<const std::uint8_t> bytes) {
  if (generation != generation_) return;
  if (state_ == State::Handshaking) {
    std::size_t consumed = 0;
    switch (handshake_->feed(bytes, consumed)) {
      case HandshakeReader::Status::Incomplete:
        return;
      case HandshakeReader::Status::Rejected:
        log(LogLevel::Error, "upgrade refused: " + handshake_->failure());
        return fail(ErrorKind::Rx);
      case HandshakeReader::Status::Accepted:
        start_session();
        bytes = bytes.subspan(consumed);
        break;
    }
    if (state_ != State::Open) return;  // the connack handler closed or reconnected
  }
  if (state_ != State::Open) return;
  restart_ping();
  if (!bytes.empty()) read_frames(bytes);
}

void Client::start_session() {
  static const wslay_event_callbacks callbacks{&Client::on_wslay_recv,
                                               &Client::on_wslay_send,
                                               &Client::on_wslay_genmask,
                                               &Client::on_wslay_frame_start,
                                               &Client::on_wslay_frame_chunk,
                                               &Client::on_wslay_frame_end,
                                               nullptr};
  wslay_event_context* context = nullptr;
  if (wslay_event_context_client_init(&context, &callbacks, this) != 0) throw std::bad_alloc();
  session_.reset(context);
  // Frames are handed on one by one and never gathered into messages; wslay then checks the limit per
  // frame, from the frame's header, before any of its payload is read.
  wslay_event_config_set_no_buffering(context, 1);
  wslay_event_config_set_max_recv_msg_length(context, options_.max_frame);
  handshake_.reset();
  unmarker_ = TextFrameUnmarker();
  state_ = State::Open;
  frame_is_data_ = false;
  frame_payload_.clear();
  frame_too_long_ = false;
  restart_ping();
  if (handlers_.connack) handlers_.connack();
}

void Client::read_frames(std::span<const std::uint8_t> bytes) {
  unread_ = bytes;
  int result = wslay_event_recv(session_.get());
  unread_ = {};
  bool read_on = result == 0 && !frame_too_long_ && wslay_event_get_read_enabled(session_.get()) != 0;
  if (read_on) {
    if (!flush()) fail(ErrorKind::Tx);  // pongs
    return;
  }
  // A close frame, a protocol error or an oversized frame: wslay has queued its close frame (our own
  // limit check queues one here); it goes out before the socket closes.
  int close_code = 0;
  if (wslay_event_get_close_received(session_.get()) != 0) {
    close_code = wslay_event_get_status_code_received(session_.get());
    log(LogLevel::Info, "server closed the session with code " + std::to_string(close_code));
  } else {
    log(LogLevel::Error, "bad frame from the server (wslay " + std::to_string(result) + ")");
  }
  if (frame_too_long_) wslay_event_queue_close(session_.get(), WSLAY_CODE_MESSAGE_TOO_BIG, nullptr, 0);
  flush();
  fail(ErrorKind::Rx, close_code);
}

bool Client::send(std::span<const std::uint8_t> payload, bool binary) {
  if (state_ != State::Open) return false;
  if (payload.size() > kMaxSendPayload) {
    log(LogLevel::Error, "frame too large: " + std::to_string(payload.size()) + " bytes");
    return false;
  }
  wslay_event_msg message{static_cast<std::uint8_t>(binary ? WSLAY_BINARY_FRAME : WSLAY_TEXT_FRAME), payload.data(),
                          payload.size()};
  if (wslay_event_queue_msg(session_.get(), &message) != 0) return false;
  ++unacknowledged_sends_;
  if (!flush()) {
    fail(ErrorKind::Tx);
    return false;
  }
  return true;
}

bool Client::flush() {
  if (!session_ || !connection_) return false;
  outgoing_.clear();
  if (wslay_event_send(session_.get()) != 0) return false;
  return outgoing_.empty() || connection_->send(outgoing_);
}

void Client::on_drained(std::uint64_t generation) {
  if (generation != generation_ || state_ != State::Open) return;
  restart_ping();
  // Several sends may be acknowledged together; each still gets its "sent".
  for (; unacknowledged_sends_ > 0 && state_ == State::Open; --unacknowledged_sends_) {
    if (handlers_.sent) handlers_.sent();
  }
}

void Client::on_closed(std::uint64_t generation, int result) {
  if (closing_ && generation == closing_generation_) {
    closing_.reset();
    return;
  }
  if (generation != generation_) return;
  if (state_ == State::Connecting || state_ == State::Handshaking || state_ == State::Open) {
    log(LogLevel::Info, "connection ended (" + std::to_string(result) + ")");
    connection_.reset();  // it has finished already
    fail(ErrorKind::Connect);
  }
}

void Client::fail(ErrorKind kind, int close_code) {
  if (state_ == State::Idle || state_ == State::Released) return;
  ping_timer_.cancel();
  retire_connection(kind == ErrorKind::Rx);
  session_.reset();
  handshake_.reset();
  unacknowledged_sends_ = 0;
  state_ = State::Idle;
  if (handlers_.error) handlers_.error(kind, close_code);
  if (handlers_.disconnect) handlers_.disconnect();
  if (reconnect_ && state_ == State::Idle) {
    log(LogLevel::Info, "reconnect after " + std::to_string(reconnect_delay_.count()) + "ms");
    reconnect_armed_.hold();
    reconnect_timer_.expires_after(reconnect_delay_);
    reconnect_timer_.async_wait([weak = weak_from_this()](const std::error_code& error) {
      auto self = weak.lock();
      if (error || !self || !self->reconnect_armed_.held()) return;
      self->reconnect_armed_.release();
      if (self->state_ == State::Idle) self->connect();
    });
  }
}

// graceful: what is queued (a close frame) is sent and the socket closed in order; the old connection is
// kept until that completes. Otherwise it is dropped at once, as the firmware's force close.
void Client::retire_connection(bool graceful) {
  if (!connection_) return;
  if (closing_) closing_->abort();
  closing_.reset();
  if (graceful) {
    connection_->close();
    closing_ = std::move(connection_);
    closing_generation_ = generation_;
  } else {
    connection_->abort();
  }
  connection_.reset();
}

void Client::close() {
  if (state_ == State::Released) return;
  reconnect_timer_.cancel();
  reconnect_armed_.release();
  ping_timer_.cancel();
  bool open = state_ == State::Open;
  if (open) {
    wslay_event_queue_close(session_.get(), WSLAY_CODE_NORMAL_CLOSURE, nullptr, 0);
    flush();
  }
  retire_connection(open);
  session_.reset();
  handshake_.reset();
  state_ = State::Released;
  handlers_ = {};
}

void Client::restart_ping() {
  ping_timer_.expires_after(options_.keepalive);
  ping_timer_.async_wait([weak = weak_from_this()](const std::error_code& error) {
    if (auto self = weak.lock(); self && !error) self->send_ping();
  });
}

void Client::send_ping() {
  if (state_ != State::Open) return;
  wslay_event_msg ping{WSLAY_PING, nullptr, 0};
  if (wslay_event_queue_msg(session_.get(), &ping) != 0 || !flush()) return fail(ErrorKind::Tx);
  restart_ping();
}

ssize_t Client::on_wslay_recv(wslay_event_context* context, std::uint8_t* buffer, std::size_t length, int, void* user) {
  auto* self = static_cast<Client*>(user);
  if (self->unread_.empty()) {
    wslay_event_set_error(context, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  std::size_t taken = std::min(length, self->unread_.size());
  std::copy_n(self->unread_.begin(), taken, buffer);
  self->unmarker_.scan({buffer, taken});
  self->unread_ = self->unread_.subspan(taken);
  return static_cast<ssize_t>(taken);
}

ssize_t Client::on_wslay_send(wslay_event_context*, const std::uint8_t* data, std::size_t length, int, void* user) {
  auto* self = static_cast<Client*>(user);
  self->outgoing_.insert(self->outgoing_.end(), data, data + length);
  return static_cast<ssize_t>(length);
}

int Client::on_wslay_genmask(wslay_event_context*, std::uint8_t* buffer, std::size_t length, void*) {
  return mbedtls_ctr_drbg_random(tls::random_generator(), buffer, length) == 0 ? 0 : -1;
}

void Client::on_wslay_frame_start(wslay_event_context*, const wslay_event_on_frame_recv_start_arg* arg, void* user) {
  auto* self = static_cast<Client*>(user);
  self->frame_fin_ = arg->fin != 0;
  self->frame_opcode_ = self->unmarker_.next_frame_was_text() ? int{WSLAY_TEXT_FRAME} : int{arg->opcode};
  self->frame_is_data_ = !wslay_is_ctrl_frame(arg->opcode);
  self->frame_payload_.clear();
  if (self->frame_is_data_ && arg->payload_length > self->options_.max_frame) self->frame_too_long_ = true;
}

void Client::on_wslay_frame_chunk(wslay_event_context*, const wslay_event_on_frame_recv_chunk_arg* arg, void* user) {
  auto* self = static_cast<Client*>(user);
  if (!self->frame_is_data_ || self->frame_too_long_) return;
  if (self->frame_payload_.size() + arg->data_length > self->options_.max_frame) {
    self->frame_too_long_ = true;
    return;
  }
  self->frame_payload_.append(reinterpret_cast<const char*>(arg->data), arg->data_length);
}

void Client::on_wslay_frame_end(wslay_event_context*, void* user) {
  auto* self = static_cast<Client*>(user);
  if (!self->frame_is_data_ || self->frame_too_long_) return;
  self->frame_is_data_ = false;
  if (self->handlers_.frame) self->handlers_.frame(self->frame_payload_, self->frame_fin_, self->frame_opcode_);
}

}  // namespace luatnet::proto::websocket
