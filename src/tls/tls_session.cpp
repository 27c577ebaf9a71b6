#include "tls/tls_session.hpp"

#include <mbedtls/oid.h>
#include <mbedtls/x509_crt.h>

#include <algorithm>
#include <string_view>

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
  timer_.cancel();
  mbedtls_ssl_free(&ssl_);
}

void TlsSession::set_hostname(const std::string& host) { mbedtls_ssl_set_hostname(&ssl_, host.c_str()); }

// mbedTLS 2.28 matches host names only: an address is checked in verify_callback.
void TlsSession::expect_address(const asio::ip::address& address, const std::string& text) {
  peer_ip_text_ = text;
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    peer_ip_.assign(bytes.begin(), bytes.end());
  } else {
    auto bytes = address.to_v6().to_bytes();
    peer_ip_.assign(bytes.begin(), bytes.end());
  }
  mbedtls_ssl_set_verify(&ssl_, &TlsSession::verify_callback, this);
}

namespace {

bool same_bytes(const mbedtls_x509_buf& buffer, std::string_view wanted) {
  return buffer.len == wanted.size() && std::equal(wanted.begin(), wanted.end(), buffer.p);
}

// Whether `certificate` is made out for the IP address (`bytes`, and `text` as a script writes it): one of
// its subjectAltName iPAddress entries, or, as the firmware's mbedTLS matches the literal as a host name,
// a dNSName equal to the text, or the CN when there are no subjectAltNames.
bool certifies_address(const mbedtls_x509_crt& certificate, std::string_view bytes, std::string_view text) {
  constexpr int kIpTag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS;
  constexpr int kDnsTag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_DNS_NAME;
  if ((certificate.ext_types & MBEDTLS_X509_EXT_SUBJECT_ALT_NAME) != 0) {
    for (const mbedtls_x509_sequence* name = &certificate.subject_alt_names; name != nullptr; name = name->next) {
      if ((name->buf.tag == kIpTag && same_bytes(name->buf, bytes)) ||
          (name->buf.tag == kDnsTag && same_bytes(name->buf, text))) {
        return true;
      }
    }
    return false;
  }
  for (const mbedtls_x509_name* entry = &certificate.subject; entry != nullptr; entry = entry->next) {
    if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &entry->oid) == 0 && same_bytes(entry->val, text)) return true;
  }
  return false;
}

}  // namespace

// Called for each certificate of the chain, after mbedTLS's own checks; the server's own (depth 0) must
// be made out for the IP address connected to.
int TlsSession::verify_callback(void* self, mbedtls_x509_crt* certificate, int depth, uint32_t* flags) {
  if (depth != 0) return 0;
  const auto* session = static_cast<TlsSession*>(self);
  std::string_view bytes(reinterpret_cast<const char*>(session->peer_ip_.data()), session->peer_ip_.size());
  if (!certifies_address(*certificate, bytes, session->peer_ip_text_)) *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
  return 0;
}

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
  // The timer is this session's member: a wait it cancels, re-arms or outlives never reports success.
  timer_.async_wait([this](const std::error_code& error) {
    if (!error) on_timer_();
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
      if (!peer_ip_.empty()) last_error_ += "; the certificate is not made out for " + peer_ip_text_;
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
