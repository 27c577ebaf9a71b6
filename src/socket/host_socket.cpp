#include "socket/host_socket.hpp"

#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "loop/event_loop.hpp"

namespace luatnet::socket {
namespace {

socklen_t to_sockaddr(const Endpoint& endpoint, bool ipv6_socket, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (ipv6_socket) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(endpoint.port);
    auto v6 = endpoint.address.is_v6() ? endpoint.address.to_v6()
                                       : asio::ip::make_address_v6(asio::ip::v4_mapped, endpoint.address.to_v4());
    auto bytes = v6.to_bytes();
    std::memcpy(&in6->sin6_addr, bytes.data(), bytes.size());
    return sizeof(sockaddr_in6);
  }
  auto* in = reinterpret_cast<sockaddr_in*>(&out);
  in->sin_family = AF_INET;
  in->sin_port = htons(endpoint.port);
  in->sin_addr.s_addr = htonl(endpoint.address.to_v4().to_uint());
  return sizeof(sockaddr_in);
}

// IPv4 peers of a dual-stack socket arrive as v4-mapped IPv6 addresses; scripts see plain IPv4.
Endpoint from_sockaddr(const sockaddr_storage& in) {
  if (in.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&in);
    return {asio::ip::address_v4(ntohl(v4->sin_addr.s_addr)), ntohs(v4->sin_port)};
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&in);
  asio::ip::address_v6::bytes_type bytes;
  std::memcpy(bytes.data(), &v6->sin6_addr, bytes.size());
  asio::ip::address_v6 address(bytes);
  if (address.is_v4_mapped()) return {asio::ip::make_address_v4(asio::ip::v4_mapped, address), ntohs(v6->sin6_port)};
  return {address, ntohs(v6->sin6_port)};
}

bool would_block() { return errno == EAGAIN || errno == EWOULDBLOCK; }

}  // namespace

std::shared_ptr<HostSocket> HostSocket::open(asio::io_context& io, bool tcp, bool ipv6,
                                             const std::function<bool(int)>& bind_to_interface) {
  int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  if (!bind_to_interface(fd)) {
    ::close(fd);
    return nullptr;
  }
  return std::make_shared<HostSocket>(io, fd, tcp, ipv6);
}

HostSocket::HostSocket(asio::io_context& io, int fd, bool tcp, bool ipv6)
    : io_(io), descriptor_(io, fd), tcp_(tcp), ipv6_(ipv6) {
  if (tcp_) {
    // Scripts send whole messages and TLS writes each handshake record on its own: Nagle's algorithm
    // would hold them back for the peer's delayed ACK.
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
}

HostSocket::~HostSocket() { close(); }

void HostSocket::emit(Event event) {
  if (closed_ || !listener_) return;
  // The listener may close this socket (and so clear listener_) while it runs: call a copy.
  Listener listener = listener_;
  listener(event);
}

void HostSocket::post_event(Event event) {
  asio::post(io_, [self = shared_from_this(), event] { self->emit(event); });
}

void HostSocket::apply_keep_alive(const KeepAlive& keep_alive) {
  if (!tcp_) return;
  int fd = descriptor_.native_handle();
  int on = keep_alive.enabled ? 1 : 0;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
  if (!keep_alive.enabled) return;
  if (keep_alive.idle_s > 0) setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &keep_alive.idle_s, sizeof(int));
  if (keep_alive.interval_s > 0) setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &keep_alive.interval_s, sizeof(int));
  if (keep_alive.count > 0) setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &keep_alive.count, sizeof(int));
}

bool HostSocket::connect(const Endpoint& remote, std::uint16_t local_port, const KeepAlive& keep_alive,
                         std::chrono::milliseconds timeout) {
  int fd = descriptor_.native_handle();
  apply_keep_alive(keep_alive);
  if (local_port != 0) {
    int reuse = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
    sockaddr_storage local{};
    Endpoint any{
        ipv6_ ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::address(asio::ip::address_v4::any()),
        local_port};
    socklen_t length = to_sockaddr(any, ipv6_, local);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), length) != 0) return false;
  }
  peer_ = remote;
  sockaddr_storage address{};
  socklen_t length = to_sockaddr(remote, ipv6_, address);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) == 0) {
    asio::post(io_, [self = shared_from_this()] { self->on_connected({}); });
    return true;
  }
  if (errno != EINPROGRESS) {
    // Refusals the kernel knows at once still arrive as an event, like every other connect outcome.
    asio::post(io_, [self = shared_from_this(), error = std::error_code(errno, std::system_category())] {
      self->on_connected(error);
    });
    return true;
  }
  timer_ = std::make_unique<asio::steady_timer>(io_, timeout);
  timer_->async_wait([self = shared_from_this()](const std::error_code& error) {
    if (!error && !self->connected_) self->on_connected(std::make_error_code(std::errc::timed_out));
  });
  descriptor_.async_wait(asio::posix::descriptor_base::wait_write,
                         [self = shared_from_this()](const std::error_code& error) {
                           if (error || self->closed_ || self->connected_) return;
                           int status = 0;
                           socklen_t size = sizeof status;
                           getsockopt(self->descriptor_.native_handle(), SOL_SOCKET, SO_ERROR, &status, &size);
                           self->on_connected(std::error_code(status, std::system_category()));
                         });
  return true;
}

void HostSocket::on_connected(std::error_code error) {
  if (closed_ || connected_) return;
  if (timer_) timer_->cancel();
  if (error) {
    emit(Event::Failed);
    return;
  }
  connected_ = true;
  emit(Event::Connected);
  arm_read();
}

bool HostSocket::listen(std::uint16_t local_port, std::size_t max_pending) {
  int fd = descriptor_.native_handle();
  int on = 1;
  int off = 0;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (ipv6_) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  Endpoint any{ipv6_ ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::address(asio::ip::address_v4::any()),
               local_port};
  sockaddr_storage local{};
  socklen_t length = to_sockaddr(any, ipv6_, local);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), length) != 0) return false;
  if (!tcp_) {
    // A UDP "server" is online as soon as it is bound.
    connected_ = true;
    post_event(Event::Listening);
    post_event(Event::Connected);
    asio::post(io_, [self = shared_from_this()] { self->arm_read(); });
    return true;
  }
  if (::listen(fd, 64) != 0) return false;
  max_pending_ = max_pending;
  // The listening descriptor moves aside: the connection (single-client mode) takes descriptor_'s place.
  listener_socket_ = std::make_unique<asio::posix::stream_descriptor>(io_, descriptor_.release());
  post_event(Event::Listening);
  arm_accept();
  return true;
}

void HostSocket::arm_accept() {
  if (closed_ || !listener_socket_) return;
  listener_socket_->async_wait(
      asio::posix::descriptor_base::wait_read, [self = shared_from_this()](const std::error_code& error) {
        if (error || self->closed_ || !self->listener_socket_) return;
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        int client = ::accept4(self->listener_socket_->native_handle(), reinterpret_cast<sockaddr*>(&address), &length,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) {
          if (would_block() || errno == ECONNABORTED || errno == EINTR) {
            self->arm_accept();
          } else {
            self->emit(Event::Failed);
          }
          return;
        }
        if (self->max_pending_ == 0) {
          // Single-client mode: this socket becomes the connection and stops listening.
          self->listener_socket_->close();
          self->listener_socket_.reset();
          self->descriptor_.assign(client);
          int on = 1;
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
          self->peer_ = from_sockaddr(address);
          self->connected_ = true;
          self->emit(Event::NewClient);
          self->arm_read();
          return;
        }
        self->waiting_clients_.push_back({client, from_sockaddr(address)});
        self->emit(Event::NewClient);
        if (self->waiting_clients_.size() < self->max_pending_) self->arm_accept();
      });
}

std::shared_ptr<HostSocket> HostSocket::take_client() {
  if (waiting_clients_.empty()) return nullptr;
  Waiting next = waiting_clients_.front();
  waiting_clients_.pop_front();
  auto client = std::make_shared<HostSocket>(io_, next.fd, true, ipv6_);
  client->peer_ = next.peer;
  client->connected_ = true;
  if (waiting_clients_.size() + 1 == max_pending_) arm_accept();  // there is room again
  return client;
}

void HostSocket::start_reading() { arm_read(); }

// What is there to read now: data (or a datagram), the peer's close, nothing yet, or an error. A peek
// costs one call and answers all four; used where "nothing" is the likely answer.
HostSocket::ReadState HostSocket::probe_read() {
  int fd = descriptor_.native_handle();
  char probe = 0;
  while (true) {
    ssize_t peeked = ::recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT | (tcp_ ? 0 : MSG_TRUNC));
    if (peeked > 0) return ReadState::Data;
    if (peeked == 0) {
      if (tcp_) return ReadState::Closed;
      ::recv(fd, &probe, 1, MSG_DONTWAIT);  // an empty datagram carries nothing to read: drop it
      continue;
    }
    if (errno == EINTR || (!tcp_ && errno == ECONNREFUSED)) continue;  // a late ICMP error is no news
    return would_block() ? ReadState::Nothing : ReadState::Error;
  }
}

// After the descriptor became readable "data" is the likely answer: for TCP, FIONREAD both says so and
// gives the amount rx will ask for, so the peek is only needed when it says zero.
HostSocket::ReadState HostSocket::probe_ready() {
  if (tcp_) {
    int available = 0;
    if (ioctl(descriptor_.native_handle(), FIONREAD, &available) == 0 && available > 0) {
      known_pending_ = static_cast<std::size_t>(available);
      known_at_harvest_ = loop::EventLoop::harvests();
      return ReadState::Data;
    }
  }
  return probe_read();
}

void HostSocket::report_read_state(ReadState state, bool arrival_delayed) {
  if (state == ReadState::Data && simulated() && !arrival_delayed) {
    if (!tcp_ && simulator_->drop_datagram()) {
      char drop = 0;
      ::recv(descriptor_.native_handle(), &drop, 1, MSG_DONTWAIT);  // lost on the way in
      report_read_state(probe_read());
      return;
    }
    auto delay = simulator_->arrival_delay();
    if (delay.count() > 0) {
      if (!arrival_timer_) arrival_timer_ = std::make_unique<asio::steady_timer>(io_);
      arrival_timer_->expires_after(delay);
      reading_ = true;  // no other wait while this one stands
      arrival_timer_->async_wait([self = shared_from_this()](const std::error_code& error) {
        self->reading_ = false;
        if (!error && !self->closed_) self->report_read_state(self->probe_ready(), true);
      });
      return;
    }
  }
  switch (state) {
    case ReadState::Data:
      emit(Event::Readable);
      return;  // reading resumes once the owner took the data
    case ReadState::Closed:
      emit(Event::RemoteClosed);
      return;
    case ReadState::Error:
      emit(Event::Failed);
      return;
    case ReadState::Nothing:
      arm_read();
      return;
  }
}

// Asio waits for the next edge only: an edge that came while nobody waited (data or the peer's close
// that arrived before this call) is gone, so look first and wait only when there is nothing.
void HostSocket::arm_read() {
  if (closed_ || reading_ || !descriptor_.is_open()) return;
  reading_ = true;
  // Drained what the kernel held when we last asked, with no readiness harvested since: any later data
  // or close will raise a new edge, so wait without looking.
  bool nothing_missed = tcp_ && known_pending_ == 0 && known_at_harvest_ == loop::EventLoop::harvests();
  if (!nothing_missed && probe_read() != ReadState::Nothing) {
    // Report from the loop, looking again then: the owner may have read it in the meantime.
    asio::post(io_, [self = shared_from_this()] {
      self->reading_ = false;
      if (!self->closed_) self->report_read_state(self->probe_ready());
    });
    return;
  }
  if (tcp_ && !nothing_missed) {
    known_pending_ = 0;  // the peek just said so
    known_at_harvest_ = loop::EventLoop::harvests();
  }
  descriptor_.async_wait(asio::posix::descriptor_base::wait_read,
                         [self = shared_from_this()](const std::error_code& error) {
                           self->reading_ = false;
                           if (error || self->closed_) return;
                           self->report_read_state(self->probe_ready());
                         });
}

std::optional<std::size_t> HostSocket::pending() {
  if (closed_ || !descriptor_.is_open()) return std::nullopt;
  int fd = descriptor_.native_handle();
  if (tcp_) {
    if (known_pending_) return *known_pending_;
    int available = 0;
    if (ioctl(fd, FIONREAD, &available) != 0) return std::nullopt;
    known_pending_ = static_cast<std::size_t>(available);
    known_at_harvest_ = loop::EventLoop::harvests();
    return known_pending_;
  }
  ssize_t size = ::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
  if (size < 0) return would_block() || errno == ECONNREFUSED ? std::optional<std::size_t>(0) : std::nullopt;
  return static_cast<std::size_t>(size);
}

std::optional<std::size_t> HostSocket::receive(std::span<std::uint8_t> into, Endpoint* from) {
  if (closed_ || !descriptor_.is_open()) return std::nullopt;
  int fd = descriptor_.native_handle();
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ssize_t got =
      tcp_ ? ::recv(fd, into.data(), into.size(), MSG_DONTWAIT)
           : ::recvfrom(fd, into.data(), into.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&address), &length);
  if (got < 0) {
    if (!would_block() && !(!tcp_ && errno == ECONNREFUSED)) return std::nullopt;
    got = 0;
  }
  if (!tcp_) {
    if (from != nullptr && length > 0 && address.ss_family != 0) *from = from_sockaddr(address);
    arm_read();
    return static_cast<std::size_t>(got);
  }
  // TCP: listen again once everything is read; leftovers of a limited rx raise no new event (as lwIP).
  auto taken = static_cast<std::size_t>(got);
  if (known_pending_ && *known_pending_ > taken) {
    *known_pending_ -= taken;
  } else {
    if (!known_pending_ || *known_pending_ != taken)
      known_pending_.reset();
    else
      known_pending_ = 0;
    arm_read();
  }
  return taken;
}

std::optional<std::size_t> HostSocket::send(std::span<const std::uint8_t> data, const Endpoint* to, bool may_refuse) {
  if (closed_ || !descriptor_.is_open()) return std::nullopt;
  return simulated() ? send_simulated(data, to, may_refuse) : send_now(data, to, may_refuse);
}

std::size_t HostSocket::kernel_unacknowledged() {
  int outstanding = 0;
  ioctl(descriptor_.native_handle(), SIOCOUTQ, &outstanding);
  return static_cast<std::size_t>(outstanding);
}

bool HostSocket::queue_full() {
  std::size_t queued = unsent_.size() - unsent_offset_;
  if (!simulated()) return queued >= kSendQueueLimit;
  std::size_t limit = simulator_->conditions().send_buffer;
  if (limit == 0) return queued + departing_bytes_ >= kSendQueueLimit;
  return queued + departing_bytes_ + kernel_unacknowledged() >= limit;
}

std::optional<std::size_t> HostSocket::send_simulated(std::span<const std::uint8_t> data, const Endpoint* to,
                                                      bool may_refuse) {
  if (!tcp_ && simulator_->drop_datagram()) {
    post_event(Event::AllAcked);  // lost on the way: the sender cannot tell
    return data.size();
  }
  if (tcp_ && may_refuse && queue_full()) return 0;
  departing_.push_back({simulator_->departure(data.size()),
                        {data.begin(), data.end()},
                        to != nullptr ? std::optional<Endpoint>(*to) : std::nullopt});
  departing_bytes_ += data.size();
  schedule_departures();
  return data.size();
}

void HostSocket::schedule_departures() {
  if (departing_.empty() || closed_) return;
  if (!departure_timer_) departure_timer_ = std::make_unique<asio::steady_timer>(io_);
  departure_timer_->expires_at(departing_.front().at);
  departure_timer_->async_wait([self = shared_from_this()](const std::error_code& error) {
    if (error || self->closed_) return;
    auto now = std::chrono::steady_clock::now();
    while (!self->departing_.empty() && self->departing_.front().at <= now) {
      Departing next = std::move(self->departing_.front());
      self->departing_.pop_front();
      self->departing_bytes_ -= next.bytes.size();
      if (!self->send_now(next.bytes, next.to ? &*next.to : nullptr, false)) {
        self->emit(Event::Failed);
        return;
      }
    }
    self->schedule_departures();
  });
}

std::optional<std::size_t> HostSocket::send_now(std::span<const std::uint8_t> data, const Endpoint* to,
                                                bool may_refuse) {
  if (closed_ || !descriptor_.is_open()) return std::nullopt;
  int fd = descriptor_.native_handle();
  if (!tcp_) {
    ssize_t sent = 0;
    if (to != nullptr) {
      sockaddr_storage address{};
      socklen_t length = to_sockaddr(*to, ipv6_, address);
      sent = ::sendto(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address),
                      length);
    } else {
      sent = ::send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    if (sent < 0) {
      if (would_block()) return 0;
      if (errno != ECONNREFUSED) return std::nullopt;  // a late ICMP error says nothing about this datagram
    }
    post_event(Event::AllAcked);
    return data.size();
  }
  std::size_t queued = unsent_.size() - unsent_offset_;
  if (may_refuse && queued >= kSendQueueLimit) return 0;
  std::size_t taken = 0;
  if (queued == 0) {
    ssize_t sent = ::send(fd, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) {
      if (!would_block()) return std::nullopt;
      sent = 0;
    }
    taken = static_cast<std::size_t>(sent);
  }
  if (taken < data.size()) {
    unsent_.insert(unsent_.end(), data.begin() + static_cast<std::ptrdiff_t>(taken), data.end());
    arm_write();
  }
  ack_poll_ = std::chrono::milliseconds(1);
  schedule_ack_check();
  return data.size();
}

void HostSocket::arm_write() {
  if (closed_ || writing_) return;
  writing_ = true;
  descriptor_.async_wait(asio::posix::descriptor_base::wait_write,
                         [self = shared_from_this()](const std::error_code& error) {
                           self->writing_ = false;
                           if (error || self->closed_) return;
                           self->flush();
                         });
}

void HostSocket::flush() {
  int fd = descriptor_.native_handle();
  while (unsent_offset_ < unsent_.size()) {
    ssize_t sent =
        ::send(fd, unsent_.data() + unsent_offset_, unsent_.size() - unsent_offset_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) {
      if (would_block()) {
        arm_write();
        return;
      }
      emit(Event::Failed);
      return;
    }
    unsent_offset_ += static_cast<std::size_t>(sent);
  }
  unsent_.clear();
  unsent_offset_ = 0;
  if (shutdown_after_flush_) {
    shutdown_after_flush_ = false;
    shutdown_send();
  }
  check_acknowledged();
}

void HostSocket::schedule_ack_check() {
  if (ack_check_scheduled_) return;
  ack_check_scheduled_ = true;
  // From the loop: by then the owner may have stopped waiting for TX_OK, and nothing needs asking.
  asio::post(io_, [self = shared_from_this()] {
    self->ack_check_scheduled_ = false;
    self->check_acknowledged();
  });
}

// TX_OK means the peer has the data: our queue is empty and the kernel holds no unacknowledged bytes.
// Linux does not announce acknowledgements, so a short, backing-off timer looks at SIOCOUTQ.
void HostSocket::check_acknowledged() {
  if (closed_ || ack_check_scheduled_) return;
  if (ack_interest_ && !ack_interest_()) return;
  // flush() and the simulated departures look again once their bytes reached the kernel.
  if (!unsent_.empty() || !departing_.empty()) return;
  if (kernel_unacknowledged() == 0) {
    post_event(Event::AllAcked);
    return;
  }
  if (!timer_) timer_ = std::make_unique<asio::steady_timer>(io_);
  ack_check_scheduled_ = true;
  timer_->expires_after(ack_poll_);
  ack_poll_ = std::min(ack_poll_ * 2, std::chrono::milliseconds(50));
  timer_->async_wait([self = shared_from_this()](const std::error_code& error) {
    self->ack_check_scheduled_ = false;
    if (!error) self->check_acknowledged();
  });
}

void HostSocket::shutdown_send() {
  if (closed_) return;
  if (unsent_offset_ < unsent_.size()) {
    shutdown_after_flush_ = true;
    return;
  }
  ::shutdown(descriptor_.native_handle(), SHUT_WR);
  post_event(Event::CloseDone);
}

void HostSocket::close() {
  if (closed_) return;
  closed_ = true;
  listener_ = nullptr;
  if (timer_) timer_->cancel();
  if (departure_timer_) departure_timer_->cancel();
  if (arrival_timer_) arrival_timer_->cancel();
  departing_.clear();
  std::error_code ignored;
  descriptor_.close(ignored);
  if (listener_socket_) listener_socket_->close(ignored);
  for (const auto& waiting : waiting_clients_) ::close(waiting.fd);
  waiting_clients_.clear();
  unsent_.clear();
}

}  // namespace luatnet::socket
