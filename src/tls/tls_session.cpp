#include "tls/tls_session.hpp"

#include <algorithm>

#include "common/logger.hpp"

namespace luatnet::tls {

TlsSession::TlsSession(std::shared_ptr<const TlsContext> context, RecordIo& io, asio::io_context& loop,
                       std::chrono::milliseconds handshake_limit, std::function<void()> on_timer)
    : context_(std::move(context)),
      io_(io),
      timer_(loop),
      on_timer_(std::move(on_timer)),
      handshake_deadline_(Clock::now() + handshake_limit) {
  mbedtls_ssl_init(&ssl_);
  mbedtls_ssl_setup(&ssl_, context_->config());
  mbedtls_ssl_set_bio(&ssl_, this, &TlsSession::send_callback, &TlsSession::receive_callback, nullptr);
  if (context_->datagram()) {
    mbedtls_ssl_set_timer_cb(&ssl_, this, &TlsSession::set_timer_callback, &TlsSession::get_timer_callback);
  }
  arm_timer();
}

TlsSession::~TlsSession() {
  *alive_ = false;
  timer_.cancel();
  mbedtls_ssl_free(&ssl_);
}

void TlsSession::set_hostname(const std::string& host) { mbedtls_ssl_set_hostname(&ssl_, host.c_str()); }

int TlsSession::send_callback(void* self, const unsigned char* bytes, size_t length) {
  auto* session = static_cast<TlsSession*>(self);
  int sent = session->io_.send_record({bytes, length});
  return sent < 0 ? MBEDTLS_ERR_NET_SEND_FAILED : sent;
}

int TlsSession::receive_callback(void* self, unsigned char* into, size_t length) {
  auto* session = static_cast<TlsSession*>(self);
  int got = session->io_.receive_record({into, length});
  if (got < 0) return MBEDTLS_ERR_NET_RECV_FAILED;
  return got == 0 ? MBEDTLS_ERR_SSL_WANT_READ : got;
}

void TlsSession::set_timer_callback(void* self, uint32_t intermediate_ms, uint32_t final_ms) {
  auto* session = static_cast<TlsSession*>(self);
  if (final_ms == 0) {
    session->intermediate_at_.reset();
    session->final_at_.reset();
  } else {
    auto now = Clock::now();
    session->intermediate_at_ = now + std::chrono::milliseconds(intermediate_ms);
    session->final_at_ = now + std::chrono::milliseconds(final_ms);
  }
  session->arm_timer();
}

int TlsSession::get_timer_callback(void* self) {
  auto* session = static_cast<TlsSession*>(self);
  if (!session->final_at_) return -1;
  auto now = Clock::now();
  if (now >= *session->final_at_) return 2;
  if (now >= *session->intermediate_at_) return 1;
  return 0;
}

// One loop timer serves both the DTLS retransmission deadline and the handshake limit.
void TlsSession::arm_timer() {
  std::optional<Clock::time_point> due;
  if (handshaking_) due = handshake_deadline_;
  if (final_at_) due = due ? std::min(*due, *final_at_) : *final_at_;
  if (!due) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(*due);
  timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](const std::error_code& error) {
    if (error || alive.expired()) return;
    on_timer_();
  });
}

TlsSession::Progress TlsSession::handshake() {
  if (!handshaking_) return Progress::Done;
  if (Clock::now() >= handshake_deadline_) {
    last_error_ = "handshake timed out";
    handshaking_ = false;
    arm_timer();
    return Progress::Failed;
  }
  int result = mbedtls_ssl_handshake(&ssl_);
  if (result == MBEDTLS_ERR_SSL_WANT_READ || result == MBEDTLS_ERR_SSL_WANT_WRITE) {
    arm_timer();
    return Progress::Waiting;
  }
  handshaking_ = false;
  arm_timer();
  if (result != 0) {
    last_error_ = describe_error(result);
    if (result == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
      char reason[256];
      mbedtls_x509_crt_verify_info(reason, sizeof reason, "", mbedtls_ssl_get_verify_result(&ssl_));
      last_error_ += std::string(" (") + reason;
      while (!last_error_.empty() && last_error_.back() == '\n') last_error_.pop_back();
      last_error_ += ")";
    }
    return Progress::Failed;
  }
  return Progress::Done;
}

bool TlsSession::write(std::span<const std::uint8_t> plain) {
  std::size_t done = 0;
  while (done < plain.size()) {
    int written = mbedtls_ssl_write(&ssl_, plain.data() + done, plain.size() - done);
    if (written < 0) {
      last_error_ = describe_error(written);
      return false;
    }
    done += static_cast<std::size_t>(written);
  }
  return true;
}

TlsSession::ReadOutcome TlsSession::read_available(const std::function<void(std::span<const std::uint8_t>)>& deliver,
                                                   std::size_t budget) {
  ReadOutcome outcome;
  scratch_.resize(MBEDTLS_SSL_MAX_CONTENT_LEN);
  while (true) {
    if (outcome.plain_bytes >= budget) {
      outcome.budget_spent = true;
      break;
    }
    int got = mbedtls_ssl_read(&ssl_, scratch_.data(), scratch_.size());
    if (got > 0) {
      outcome.plain_bytes += static_cast<std::size_t>(got);
      deliver({scratch_.data(), static_cast<std::size_t>(got)});
      continue;
    }
    if (got == MBEDTLS_ERR_SSL_WANT_READ || got == MBEDTLS_ERR_SSL_WANT_WRITE) break;
    if (got == 0 || got == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
      outcome.peer_closed = true;
    } else {
      last_error_ = describe_error(got);
      outcome.failed = true;
    }
    break;
  }
  return outcome;
}

void TlsSession::close_notify() { mbedtls_ssl_close_notify(&ssl_); }

}  // namespace luatnet::tls
