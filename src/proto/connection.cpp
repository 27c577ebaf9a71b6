#include "proto/connection.hpp"

#include <asio/post.hpp>

namespace luatnet::proto {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

}  // namespace

Connection::Connection(socket::SocketRegistry& sockets, asio::io_context& io, ConnectionHandlers handlers)
    : sockets_(sockets), io_(io), handlers_(std::move(handlers)) {}

std::shared_ptr<Connection> Connection::create(socket::SocketRegistry& sockets, asio::io_context& io,
                                               const ConnectionOptions& options, ConnectionHandlers handlers) {
  std::shared_ptr<Connection> connection(new Connection(sockets, io, std::move(handlers)));
  connection->ctrl_ = sockets.create(options.adapter_index, connection.get());
  if (connection->ctrl_ == nullptr) return nullptr;
  connection->ctrl_id_ = connection->ctrl_->id();
  connection->prefer_ipv6_ = options.prefer_ipv6;
  connection->ctrl_->configure(socket::SocketOptions{.tcp = options.tcp,
                                                     .keep_alive = options.keep_alive,
                                                     .connect_timeout = options.connect_timeout,
                                                     .tls = options.tls});
  return connection;
}

Connection::~Connection() { release_ctrl(); }

bool Connection::open(const std::string& host, std::uint16_t port) {
  return ctrl_ != nullptr && ctrl_->connect(host, std::nullopt, port, prefer_ipv6_) >= 0;
}

bool Connection::online() const { return ctrl_ != nullptr && ctrl_->state() == socket::State::Online; }

bool Connection::send(std::span<const std::uint8_t> bytes) {
  if (!online() || closing_) return false;
  if (bytes.empty()) return true;
  queue_.emplace_back(bytes.begin(), bytes.end());
  queued_bytes_ += bytes.size();
  push_queued();
  return true;
}

void Connection::close() {
  if (ctrl_ == nullptr || closing_) return;
  closing_ = true;
  if (queue_.empty()) disconnect();  // else once the queue is handed over (push_queued)
}

void Connection::disconnect() {
  if (ctrl_->disconnect() == 0) {
    // Nothing to wait for; the owner still hears of it from the loop, not inside its own call.
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->finish(0);
    });
  }
}

void Connection::abort() {
  finished_ = true;
  release_ctrl();
}

// Called from inside the state machine: act on it once that call has returned, in the order reported.
void Connection::socket_event(std::uint64_t /*ctrl_id*/, int event, int param) {
  asio::post(io_, [weak = weak_from_this(), event, param] {
    if (auto self = weak.lock()) self->on_event(event, param);
  });
}

void Connection::on_event(int event, int param) {
  if (ctrl_ == nullptr || finished_) return;
  auto keep_alive = shared_from_this();  // an owner's callback may drop its last reference
  switch (event) {
    case socket::kEventOnLine:
      if (param < 0) return finish(param);
      if (handlers_.connected) handlers_.connected();
      return;
    case socket::kEventEvent:
      drain_received();
      if (param < 0) finish(param);
      return;
    case socket::kEventTxOk:
      if (param < 0) {
        drain_received();
        return finish(param);
      }
      awaiting_ack_ = false;
      push_queued();
      if (ctrl_ != nullptr && queue_.empty() && !awaiting_ack_ && !closing_ && handlers_.drained) handlers_.drained();
      return;
    case socket::kEventClosed:
      return finish(0);
    default:
      return;  // LINK: connecting goes on by itself once the link is up
  }
}

void Connection::drain_received() {
  while (ctrl_ != nullptr && !finished_) {
    auto pending = ctrl_->pending_rx();
    if (!pending) return;
    receive_buffer_.resize(std::max(kReadChunk, *pending));
    auto got = ctrl_->rx(receive_buffer_, nullptr);
    if (!got || *got == 0) return;
    if (handlers_.received) handlers_.received(std::span(receive_buffer_.data(), *got));
  }
}

void Connection::push_queued() {
  while (ctrl_ != nullptr && !queue_.empty()) {
    auto& front = queue_.front();
    auto rest = std::span(front).subspan(front_offset_);
    auto sent = ctrl_->tx(rest, nullptr);
    if (sent.result < 0) return finish(-1);
    if (sent.accepted == 0) return;  // full: the pending TX_OK brings the next try
    awaiting_ack_ = true;
    front_offset_ += sent.accepted;
    queued_bytes_ -= sent.accepted;
    if (front_offset_ == front.size()) {
      queue_.pop_front();
      front_offset_ = 0;
      if (queue_.empty() && closing_) disconnect();
    }
  }
}

void Connection::finish(int result) {
  if (finished_) return;
  finished_ = true;
  release_ctrl();
  queue_.clear();
  queued_bytes_ = 0;
  if (handlers_.closed) handlers_.closed(result);
}

void Connection::release_ctrl() {
  if (ctrl_ == nullptr) return;
  ctrl_ = nullptr;
  sockets_.release(ctrl_id_);
}

}  // namespace luatnet::proto
