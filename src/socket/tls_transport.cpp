#include "socket/tls_transport.hpp"

#include <asio/post.hpp>
#include <utility>

#include "common/logger.hpp"
#include "loop/weak_handler.hpp"

namespace luatnet::socket {

TlsTransport::TlsTransport(asio::io_context& io, std::shared_ptr<Transport> inner,
                           std::shared_ptr<const tls::TlsContext> context, bool tcp,
                           std::chrono::milliseconds handshake_limit, std::string log_name)
    : TransportFilter(std::move(inner)),
      io_(io),
      session_(std::make_unique<tls::TlsSession>(std::move(context), static_cast<tls::RecordIo&>(*this), io,
                                                 handshake_limit, [this] { step_handshake(); })),
      log_name_(std::move(log_name)),
      tcp_(tcp) {}

TlsTransport::~TlsTransport() { close(); }

void TlsTransport::expect_server(const std::string& host, const std::optional<asio::ip::address>& literal) {
  if (literal) {
    session_->expect_address(*literal, host);
  } else {
    session_->set_hostname(host);
  }
}

// From the loop: the state machine calls this while it handles Connected, and a client that spoke before
// it was accepted has records waiting already.
void TlsTransport::start_handshake() {
  asio::post(io_, loop::weak_handler(weak_from_this(), [](TlsTransport& self) { self.step_handshake(); }));
}

void TlsTransport::on_transport_event(TransportEvent event) {
  if (closed_) return;
  auto self = shared_from_this();  // the listener may drop this transport when told of an end
  switch (event) {
    case TransportEvent::Readable:
      if (!secured_) {
        step_handshake();
      } else if (!reads_paused_) {
        take_records(false);
      }
      return;
    case TransportEvent::RemoteClosed:
      if (secured_) {
        take_records(true);
        return;
      }
      break;
    default:
      break;
  }
  if (event == TransportEvent::RemoteClosed || event == TransportEvent::Failed) ended_ = true;
  emit(event);
}

void TlsTransport::step_handshake() {
  if (secured_ || ended_ || closed_) return;
  auto self = shared_from_this();
  switch (session_->handshake()) {
    case tls::TlsSession::Progress::Waiting:
      return;
    case tls::TlsSession::Progress::Done:
      secured_ = true;
      emit(TransportEvent::Secured);
      take_records(false);  // application data that came with the handshake's last flight
      return;
    case tls::TlsSession::Progress::Failed:
      Logger::instance().log(LogLevel::Error, "tls", log_name_ + " handshake failed: " + session_->last_error());
      ended_ = true;
      emit(TransportEvent::Failed);
      return;
  }
}

void TlsTransport::take_records(bool to_the_end) {
  if (ended_ || closed_) return;
  std::size_t budget = to_the_end ? SIZE_MAX : (held() < kReadAhead ? kReadAhead - held() : 0);
  auto outcome = session_->read_available([this](std::span<const std::uint8_t> plain) { hold(plain); }, budget);
  reads_paused_ = outcome.budget_spent;
  if (outcome.plain_bytes > 0) emit(TransportEvent::Readable);
  if (closed_) return;
  if (outcome.failed) {
    Logger::instance().log(LogLevel::Warn, "tls", log_name_ + ": " + session_->last_error());
    ended_ = true;
    emit(TransportEvent::Failed);
  } else if (outcome.peer_closed || to_the_end) {
    ended_ = true;
    emit(TransportEvent::RemoteClosed);
  }
}

void TlsTransport::hold(std::span<const std::uint8_t> plain) {
  if (read_at_ > 0 && read_at_ >= plaintext_.size() / 2) {
    plaintext_.erase(plaintext_.begin(), plaintext_.begin() + static_cast<std::ptrdiff_t>(read_at_));
    read_at_ = 0;
  }
  plaintext_.insert(plaintext_.end(), plain.begin(), plain.end());
  if (!tcp_) datagram_sizes_.push_back(plain.size());
}

void TlsTransport::release_read() {
  constexpr std::size_t kKeptBlock = 4096;
  if (read_at_ < plaintext_.size()) return;
  plaintext_.clear();
  read_at_ = 0;
  if (plaintext_.capacity() > kKeptBlock) plaintext_.shrink_to_fit();
}

std::optional<std::size_t> TlsTransport::pending() {
  if (closed_) return std::nullopt;
  if (tcp_) return held();
  return datagram_sizes_.empty() ? 0 : datagram_sizes_.front();
}

std::optional<std::size_t> TlsTransport::receive(std::span<std::uint8_t> into, Endpoint* from) {
  if (closed_) return std::nullopt;
  auto self = shared_from_this();  // reading on may tell the listener of an end
  std::size_t start = read_at_;
  std::size_t count = 0;
  if (tcp_) {
    count = std::min(into.size(), held());
    read_at_ += count;
  } else if (!datagram_sizes_.empty()) {
    // One datagram per read; what did not fit is lost, as for UDP.
    count = std::min(into.size(), datagram_sizes_.front());
    read_at_ += datagram_sizes_.front();
    datagram_sizes_.erase(datagram_sizes_.begin());
  }
  std::copy_n(plaintext_.begin() + static_cast<std::ptrdiff_t>(start), count, into.begin());
  release_read();
  if (from != nullptr && inner_->peer()) *from = *inner_->peer();
  // The script made room: read on where the read-ahead stopped (new data is announced as usual).
  if (reads_paused_ && held() < kReadAhead / 2) take_records(false);
  return count;
}

std::optional<std::size_t> TlsTransport::send(std::span<const std::uint8_t> data, const Endpoint* /*to*/,
                                              bool may_refuse) {
  if (closed_ || !secured_ || ended_) return std::nullopt;
  if (tcp_ && may_refuse && inner_->queue_full()) return 0;
  if (!session_->write(data)) {
    Logger::instance().log(LogLevel::Warn, "tls", log_name_ + ": " + session_->last_error());
    return std::nullopt;
  }
  return data.size();
}

void TlsTransport::shutdown_send() {
  if (closed_) return;
  if (secured_) session_->close_notify();
  inner_->shutdown_send();
}

void TlsTransport::close() {
  if (closed_) return;
  closed_ = true;
  plaintext_ = {};
  read_at_ = 0;
  datagram_sizes_ = {};
  TransportFilter::close();
}

int TlsTransport::send_record(std::span<const std::uint8_t> bytes) {
  auto sent = inner_->send(bytes, nullptr, false);
  return sent ? static_cast<int>(*sent) : -1;
}

int TlsTransport::receive_record(std::span<std::uint8_t> into) {
  auto got = inner_->receive(into, nullptr);
  return got ? static_cast<int>(*got) : -1;
}

}  // namespace luatnet::socket
