#include "socket/host_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/logger.hpp"

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

// A call that fails only when something is wrong with the host (no descriptor left, an option the kernel
// lacks): worth a warning, as the state machine sees only its consequence.
void log_errno(const char* what) {
  Logger::instance().log(LogLevel::Warn, "socket",
                         std::string(what) + " failed: " + std::error_code(errno, std::system_category()).message());
}

// An option the socket works without (broadcast, no-delay, keepalive): a refusal is logged, not fatal.
void set_option(int fd, int level, int name, int value, const char* what) {
  if (setsockopt(fd, level, name, &value, sizeof value) != 0) log_errno(what);
}

// One descriptor kept in reserve for the whole process: out of descriptors, a listener frees it to
// accept and close the clients it cannot serve, so that they hear a close instead of waiting forever.
int& reserve_descriptor() {
  static int reserve = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return reserve;
}

constexpr std::chrono::milliseconds kAcceptRetry{100};
// The first look for an acknowledgement that comes on its own, after a send. When the last one came with
// the peer's reply the next most likely will too, and the look only matters for a peer that stops
// replying, whose lone ACK a delayed-ACK timer holds back some 40 ms: looking first at 8 ms (then 16, 32,
// 50) finds that as early as looking at 1, 2, 4 ... ms does, without a look per request while the replies
// keep coming (which at 1 ms cost a second SIOCOUTQ and a timer per request under load).
constexpr std::chrono::milliseconds kFirstAckLook{1};
constexpr std::chrono::milliseconds kFirstAckLookWithReplies{8};

}  // namespace

std::shared_ptr<HostSocket> HostSocket::open(asio::io_context& io, bool tcp, bool ipv6,
                                             const std::function<bool(int)>& bind_to_interface) {
  int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    log_errno("socket");
    return nullptr;
  }
  if (!bind_to_interface(fd)) {
    log_errno("SO_BINDTODEVICE");
    ::close(fd);
    return nullptr;
  }
  return adopt(io, fd, tcp, ipv6);
}

std::shared_ptr<HostSocket> HostSocket::adopt(asio::io_context& io, int fd, bool tcp, bool ipv6) {
  auto socket = std::make_shared<HostSocket>(io, fd, tcp, ipv6);
  if (!socket->watch_descriptor()) return nullptr;
  return socket;
}

HostSocket::HostSocket(asio::io_context& io, int fd, bool tcp, bool ipv6)
    : io_(io), poller_(loop::ReadinessPoller::of(io)), fd_(fd), tcp_(tcp), ipv6_(ipv6) {
  if (!tcp_) {
    // lwIP lets UDP pcbs send to broadcast addresses; Linux wants it asked for.
    set_option(fd, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
  } else {
    // Scripts send whole messages and TLS writes each handshake record on its own: Nagle's algorithm
    // would hold them back for the peer's delayed ACK.
    set_option(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
  }
}

HostSocket::~HostSocket() { close(); }

bool HostSocket::watch_descriptor() {
  watch_ = poller_.watch(fd_, *this);
  return watch_.has_value();
}

// Edges only: each report means something changed since the last one, so every kind of wait that the
// change may end is looked at; a change nobody waits for is remembered where it matters (known_pending_).
void HostSocket::on_ready(std::uint32_t epoll_events) {
  auto self = shared_from_this();  // a listener may drop its last reference while this runs
  bool readable = (epoll_events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  bool writable = (epoll_events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
  if (phase_ == Phase::Connecting) {
    // A peer that answered and closed at once raises no second edge for it: keep the hang-up in mind,
    // or its close behind the data would never be reported.
    if ((epoll_events & (EPOLLRDHUP | EPOLLHUP)) != 0) hangup_seen_ = true;
    if (writable) finish_connect();
    return;
  }
  if (phase_ == Phase::Listening) {
    if (readable && accepting_) accept_clients();
    return;
  }
  if (writable && writing_) {
    writing_ = false;
    flush();
  }
  if (!readable || closed_) return;
  known_pending_.reset();
  if ((epoll_events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) hangup_seen_ = true;
  if (read_wait_ == ReadWait::None && tcp_ && hangup_seen_ && !end_reported_) {
    // The owner still holds data it was told of; the peer's close (or reset) behind it is news now,
    // as lwIP reports the FIN whether or not the data was read.
    end_reported_ = true;
    if ((epoll_events & EPOLLERR) != 0) {
      take_socket_error();
      emit(TransportEvent::Failed);
    } else {
      emit(TransportEvent::RemoteClosed);
    }
    return;
  }
  if (read_wait_ == ReadWait::Edge) {
    read_wait_ = ReadWait::None;
    // Epoll looked when it harvested: TCP data with no close or error behind it needs no second look.
    bool plain_data = tcp_ && (epoll_events & EPOLLIN) != 0 && !hangup_seen_;
    report_read_state(plain_data ? ReadState::Data : probe_ready());
  }
}

void HostSocket::emit(TransportEvent event) {
  if (closed_ || listener_ == nullptr) return;
  listener_->on_transport_event(event);
}

int HostSocket::checked(int result) {
  if (result < 0) error_ = std::error_code(errno, std::system_category());
  return result;
}

void HostSocket::fail() {
  checked(-1);
  emit(TransportEvent::Failed);
}

void HostSocket::post_event(TransportEvent event) {
  post([event](HostSocket& self) { self.emit(event); });
}

void HostSocket::apply_keep_alive(const KeepAlive& keep_alive) {
  if (!tcp_) return;
  set_option(fd_, SOL_SOCKET, SO_KEEPALIVE, keep_alive.enabled ? 1 : 0, "SO_KEEPALIVE");
  if (!keep_alive.enabled) return;
  if (keep_alive.idle_s > 0) set_option(fd_, IPPROTO_TCP, TCP_KEEPIDLE, keep_alive.idle_s, "TCP_KEEPIDLE");
  if (keep_alive.interval_s > 0) set_option(fd_, IPPROTO_TCP, TCP_KEEPINTVL, keep_alive.interval_s, "TCP_KEEPINTVL");
  if (keep_alive.count > 0) set_option(fd_, IPPROTO_TCP, TCP_KEEPCNT, keep_alive.count, "TCP_KEEPCNT");
}

bool HostSocket::connect(const Endpoint& remote, std::uint16_t local_port, const KeepAlive& keep_alive,
                         std::chrono::milliseconds timeout) {
  apply_keep_alive(keep_alive);
  if (local_port != 0) {
    set_option(fd_, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
    sockaddr_storage local{};
    Endpoint any{
        ipv6_ ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::address(asio::ip::address_v4::any()),
        local_port};
    socklen_t length = to_sockaddr(any, ipv6_, local);
    if (checked(::bind(fd_, reinterpret_cast<sockaddr*>(&local), length)) != 0) return false;
  }
  peer_ = remote;
  if (!tcp_ && remote.port == 0) {
    // The firmware's UDP server idiom (connect to 255.255.255.255, port 0): datagrams from any sender
    // are received, and tx names its destination. The kernel socket stays unconnected.
    post([](HostSocket& self) { self.on_connected({}); });
    return true;
  }
  sockaddr_storage address{};
  socklen_t length = to_sockaddr(remote, ipv6_, address);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0) {
    post([](HostSocket& self) { self.on_connected({}); });
    return true;
  }
  if (errno != EINPROGRESS) {
    // Refusals the kernel knows at once still arrive as an event, like every other connect outcome.
    post([error = std::error_code(errno, std::system_category())](HostSocket& self) { self.on_connected(error); });
    return true;
  }
  timer_ = std::make_unique<loop::Timer>(io_, timeout);
  timer_->async_wait(loop::weak_handler(weak_from_this(), [](HostSocket& self, const std::error_code& error) {
    if (!error && self.phase_ == Phase::Connecting) self.on_connected(std::make_error_code(std::errc::timed_out));
  }));
  phase_ = Phase::Connecting;  // the writable edge ends it
  return true;
}

std::error_code HostSocket::take_socket_error() {
  int status = 0;
  socklen_t size = sizeof status;
  if (checked(getsockopt(fd_, SOL_SOCKET, SO_ERROR, &status, &size)) != 0) return error_;
  if (status != 0) error_ = std::error_code(status, std::system_category());
  return std::error_code(status, std::system_category());
}

void HostSocket::finish_connect() { on_connected(take_socket_error()); }

void HostSocket::on_connected(std::error_code error) {
  if (closed_ || phase_ == Phase::Connected) return;
  if (timer_) timer_->cancel();
  if (error) {
    phase_ = Phase::Opened;
    error_ = error;
    emit(TransportEvent::Failed);
    return;
  }
  phase_ = Phase::Connected;
  emit(TransportEvent::Connected);
  arm_read();
}

bool HostSocket::listen(std::uint16_t local_port, std::size_t max_pending) {
  set_option(fd_, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
  if (ipv6_) set_option(fd_, IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
  Endpoint any{ipv6_ ? asio::ip::address(asio::ip::address_v6::any()) : asio::ip::address(asio::ip::address_v4::any()),
               local_port};
  sockaddr_storage local{};
  socklen_t length = to_sockaddr(any, ipv6_, local);
  if (checked(::bind(fd_, reinterpret_cast<sockaddr*>(&local), length)) != 0) return false;
  if (!tcp_) {
    // A UDP "server" is online as soon as it is bound.
    phase_ = Phase::Connected;
    post_event(TransportEvent::Listening);
    post_event(TransportEvent::Connected);
    post([](HostSocket& self) { self.arm_read(); });
    return true;
  }
  if (checked(::listen(fd_, 64)) != 0) return false;
  reserve_descriptor();  // taken now, while descriptors are still there to take
  max_pending_ = max_pending;
  phase_ = Phase::Listening;
  post_event(TransportEvent::Listening);
  // From the loop, so that clients are announced after Listening.
  post([](HostSocket& self) { self.accept_clients(); });
  return true;
}

// Out of descriptors (the libuv and nginx way): the clients waiting now are accepted with the reserve
// descriptor and closed at once, and the listener looks again a little later, when descriptors may be
// free. It keeps listening throughout.
void HostSocket::pause_accepting() {
  int& reserve = reserve_descriptor();
  if (reserve >= 0) {
    ::close(reserve);
    int client = -1;
    while ((client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC)) >= 0) ::close(client);
    reserve = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  }
  if (!timer_) timer_ = std::make_unique<loop::Timer>(io_);
  timer_->expires_after(kAcceptRetry);
  timer_->async_wait(loop::weak_handler(weak_from_this(), [](HostSocket& self, const std::error_code& error) {
    if (!error) self.accept_clients();
  }));
}

// Edge-triggered: take every waiting connection (up to the pending limit) before waiting for the next
// edge; when the limit stops us, take_client() resumes here.
void HostSocket::accept_clients() {
  accepting_ = false;
  while (phase_ == Phase::Listening && !closed_) {
    if (max_pending_ != 0 && waiting_clients_.size() >= max_pending_) return;
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    int client = ::accept4(fd_, reinterpret_cast<sockaddr*>(&address), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) {
        checked(-1);
        pause_accepting();
      } else if (would_block()) {
        accepting_ = true;
      } else {
        fail();
      }
      return;
    }
    if (max_pending_ == 0) {
      become_connection(client, from_sockaddr(address));
      return;
    }
    waiting_clients_.push_back({client, from_sockaddr(address)});
    emit(TransportEvent::NewClient);
  }
}

// Single-client mode: the first client takes the listening socket's place and listening stops.
void HostSocket::become_connection(int client, const Endpoint& peer) {
  phase_ = Phase::Connected;
  if (watch_) poller_.forget(*watch_);
  ::close(fd_);
  fd_ = client;
  set_option(client, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
  if (!watch_descriptor()) {
    fail();
    return;
  }
  peer_ = peer;
  emit(TransportEvent::NewClient);
  arm_read();
}

std::shared_ptr<Transport> HostSocket::take_client() {
  while (!waiting_clients_.empty()) {
    Waiting next = waiting_clients_.front();
    waiting_clients_.pop_front();
    if (!accepting_ && phase_ == Phase::Listening) accept_clients();  // there is room again
    auto client = adopt(io_, next.fd, true, ipv6_);
    if (!client) continue;
    client->peer_ = next.peer;
    client->phase_ = Phase::Connected;
    return client;
  }
  return nullptr;
}

void HostSocket::start_reading() { arm_read(); }

// What is there to read now: data (or a datagram), the peer's close, nothing yet, or an error. A peek
// costs one call and answers all four; used where "nothing" is the likely answer.
HostSocket::ReadState HostSocket::probe_read() {
  char probe = 0;
  while (true) {
    ssize_t peeked = ::recv(fd_, &probe, 1, MSG_PEEK | MSG_DONTWAIT | (tcp_ ? 0 : MSG_TRUNC));
    if (peeked > 0) return ReadState::Data;
    if (peeked == 0) {
      if (tcp_) return ReadState::Closed;
      ::recv(fd_, &probe, 1, MSG_DONTWAIT);  // an empty datagram carries nothing to read: drop it
      continue;
    }
    if (errno == EINTR || (!tcp_ && errno == ECONNREFUSED)) continue;  // a late ICMP error is no news
    if (would_block()) return ReadState::Nothing;
    checked(-1);
    return ReadState::Error;
  }
}

// After the descriptor became readable "data" is the likely answer: for TCP, FIONREAD both says so and
// gives the amount rx will ask for, so the peek is only needed when it says zero.
HostSocket::ReadState HostSocket::probe_ready() {
  if (tcp_) {
    int available = 0;
    if (ioctl(fd_, FIONREAD, &available) == 0 && available > 0) {
      known_pending_ = static_cast<std::size_t>(available);
      return ReadState::Data;
    }
    // The kernel counts no segment still waiting in the socket's backlog, which the peek below may find:
    // an old count of 0 would make the owner's next read skip the kernel and never arm the next wait.
    known_pending_.reset();
  }
  return probe_read();
}

void HostSocket::report_read_state(ReadState state) {
  switch (state) {
    case ReadState::Data:
      emit(TransportEvent::Readable);
      // The peer's close behind the data is told now, as lwIP hands over the data and then the FIN:
      // a script must not have to read before it hears of it.
      if (tcp_ && hangup_seen_ && !closed_ && !end_reported_) {
        end_reported_ = true;
        emit(TransportEvent::RemoteClosed);
      }
      return;  // reading resumes once the owner took the data
    case ReadState::Closed:
      if (end_reported_) return;
      end_reported_ = true;
      emit(TransportEvent::RemoteClosed);
      return;
    case ReadState::Error:
      emit(TransportEvent::Failed);
      return;
    case ReadState::Nothing:
      arm_read();
      return;
  }
}

// Readiness comes as edges: data (or the peer's close) that arrived before this call raised its edge
// already, so look first and wait for an edge only when there is nothing.
void HostSocket::arm_read() {
  if (closed_ || read_wait_ != ReadWait::None || fd_ < 0) return;
  // Drained with no edge since: any later data or close raises a new edge, so wait without looking.
  bool nothing_missed = drained_since_last_edge();
  if (!nothing_missed && probe_read() != ReadState::Nothing) {
    // Report from the loop, looking again then: the owner may have read it in the meantime.
    read_wait_ = ReadWait::Posted;
    post([](HostSocket& self) {
      self.read_wait_ = ReadWait::None;
      if (!self.closed_) self.report_read_state(self.probe_ready());
    });
    return;
  }
  if (tcp_) known_pending_ = 0;  // the peek just said so
  read_wait_ = ReadWait::Edge;
}

std::optional<std::size_t> HostSocket::pending() {
  if (closed_ || fd_ < 0) return std::nullopt;
  if (tcp_) {
    if (known_pending_) return *known_pending_;
    int available = 0;
    if (checked(ioctl(fd_, FIONREAD, &available)) != 0) return std::nullopt;
    known_pending_ = static_cast<std::size_t>(available);
    return known_pending_;
  }
  ssize_t size = ::recv(fd_, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
  if (size < 0) {
    if (would_block() || errno == ECONNREFUSED) return 0;
    checked(-1);
    return std::nullopt;
  }
  return static_cast<std::size_t>(size);
}

std::optional<std::size_t> HostSocket::receive(std::span<std::uint8_t> into, Endpoint* from) {
  if (closed_ || fd_ < 0) return std::nullopt;
  // Whatever came after the drain is announced by its edge: no need to ask the kernel.
  if (drained_since_last_edge()) return 0;
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  ssize_t got =
      tcp_ ? ::recv(fd_, into.data(), into.size(), MSG_DONTWAIT)
           : ::recvfrom(fd_, into.data(), into.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&address), &length);
  bool nothing_there = got < 0;
  if (nothing_there) {
    if (!would_block() && !(!tcp_ && errno == ECONNREFUSED)) {
      checked(-1);
      return std::nullopt;
    }
    got = 0;
  }
  if (!tcp_) {
    if (from != nullptr && length > 0 && address.ss_family != 0) *from = from_sockaddr(address);
    arm_read();
    return static_cast<std::size_t>(got);
  }
  // TCP: listen again once everything is read; leftovers of a limited rx raise no new event (as lwIP).
  auto taken = static_cast<std::size_t>(got);
  if (taken == 0 && !nothing_there && !into.empty()) hangup_seen_ = true;  // the end of the stream
  // A stream recv stops short only when nothing is left; a full one drained what was last counted or not.
  if (taken < into.size() || known_pending_ == taken) {
    known_pending_ = 0;
  } else if (known_pending_ && *known_pending_ > taken) {
    *known_pending_ -= taken;
    // The rest raises no event of its own (as lwIP), but data arriving after it does.
    if (read_wait_ == ReadWait::None) read_wait_ = ReadWait::Edge;
    return taken;
  } else {
    known_pending_.reset();
  }
  arm_read();
  return taken;
}

std::size_t HostSocket::unacknowledged_bytes() {
  if (!tcp_ || fd_ < 0) return 0;
  int outstanding = 0;
  if (checked(ioctl(fd_, SIOCOUTQ, &outstanding)) < 0) return 0;
  return static_cast<std::size_t>(outstanding);
}

bool HostSocket::all_acknowledged() {
  bool all = tcp_ && !closed_ && unsent_offset_ == unsent_.size() && unacknowledged_bytes() == 0;
  if (all) acks_come_with_replies_ = true;  // asked as data arrived: the reply brought the acknowledgement
  return all;
}

bool HostSocket::queue_full() { return queued_bytes() >= kSendQueueLimit; }

std::optional<std::size_t> HostSocket::send(std::span<const std::uint8_t> data, const Endpoint* to, bool may_refuse) {
  if (closed_ || fd_ < 0) return std::nullopt;
  if (!tcp_) {
    ssize_t sent = 0;
    if (to != nullptr) {
      sockaddr_storage address{};
      socklen_t length = to_sockaddr(*to, ipv6_, address);
      sent = ::sendto(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address),
                      length);
    } else {
      sent = ::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    if (sent < 0) {
      if (would_block()) return 0;
      // A late ICMP error says nothing about this datagram.
      if (errno != ECONNREFUSED) {
        checked(-1);
        return std::nullopt;
      }
    }
    post_event(TransportEvent::AllAcked);
    return data.size();
  }
  std::size_t queued = unsent_.size() - unsent_offset_;
  if (may_refuse && queued >= kSendQueueLimit) return 0;
  std::size_t taken = 0;
  if (queued == 0) {
    ssize_t sent = ::send(fd_, data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) {
      if (!would_block()) {
        checked(-1);
        return std::nullopt;
      }
      sent = 0;
    }
    taken = static_cast<std::size_t>(sent);
  }
  if (taken < data.size()) {
    // What the kernel took goes before more is queued, so a peer that reads slowly while the script keeps
    // the queue topped up does not make it keep every byte sent.
    if (unsent_offset_ > 0 && unsent_offset_ >= unsent_.size() / 2) {
      unsent_.erase(unsent_.begin(), unsent_.begin() + static_cast<std::ptrdiff_t>(unsent_offset_));
      unsent_offset_ = 0;
    }
    unsent_.insert(unsent_.end(), data.begin() + static_cast<std::ptrdiff_t>(taken), data.end());
    arm_write();
  }
  ack_poll_ = acks_come_with_replies_ ? kFirstAckLookWithReplies : kFirstAckLook;
  if (acks_come_with_replies_) {
    // The last acknowledgement came with the peer's reply, and the next will most likely come so too:
    // no look at the kernel now, only the timer that finds one coming on its own.
    look_again_later();
  } else {
    schedule_ack_check();
  }
  return data.size();
}

// Only called after a send that the kernel cut short: that marks the socket, and the writable edge
// follows once there is room.
void HostSocket::arm_write() {
  if (closed_) return;
  writing_ = true;
}

void HostSocket::flush() {
  while (unsent_offset_ < unsent_.size()) {
    ssize_t sent =
        ::send(fd_, unsent_.data() + unsent_offset_, unsent_.size() - unsent_offset_, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) {
      if (would_block()) {
        arm_write();
        return;
      }
      fail();
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
  if (ack_check_scheduled_ || !watch_) return;
  ack_check_scheduled_ = true;
  // Once the script's turn is over: by then the owner may have stopped waiting for TX_OK, and nothing
  // needs asking.
  poller_.defer(*watch_);
}

void HostSocket::on_deferred() {
  auto self = shared_from_this();  // the listener may drop its last reference while this runs
  ack_check_scheduled_ = false;
  check_acknowledged();
}

// TX_OK means the peer has the data: our queue is empty and the kernel holds no unacknowledged bytes.
// Linux does not announce acknowledgements, so a short, backing-off timer looks at SIOCOUTQ.
void HostSocket::check_acknowledged() {
  if (closed_ || ack_check_scheduled_) return;
  if (listener_ != nullptr && !listener_->awaits_acknowledgement()) return;
  // flush() looks again once the queued bytes reached the kernel.
  if (!unsent_.empty()) return;
  if (unacknowledged_bytes() == 0) {
    acks_come_with_replies_ = false;
    post_event(TransportEvent::AllAcked);
    return;
  }
  look_again_later();
}

void HostSocket::look_again_later() {
  if (closed_ || ack_check_scheduled_) return;
  if (!timer_) timer_ = std::make_unique<loop::Timer>(io_);
  ack_check_scheduled_ = true;
  timer_->expires_after(ack_poll_);
  ack_poll_ = std::min(ack_poll_ * 2, std::chrono::milliseconds(50));
  timer_->async_wait(loop::weak_handler(weak_from_this(), [](HostSocket& self, const std::error_code& error) {
    self.ack_check_scheduled_ = false;
    if (!error) self.check_acknowledged();
  }));
}

void HostSocket::shutdown_send() {
  if (closed_) return;
  // Bytes still in our queue leave first; the FIN follows them.
  if (unsent_offset_ < unsent_.size()) {
    shutdown_after_flush_ = true;
    return;
  }
  // A refusal (the peer is already gone) still ends in CloseDone: there is nothing left to send.
  checked(::shutdown(fd_, SHUT_WR));
  post_event(TransportEvent::CloseDone);
}

void HostSocket::close() {
  if (closed_) return;
  closed_ = true;
  listener_ = nullptr;
  if (timer_) timer_->cancel();
  if (watch_) poller_.forget(*watch_);
  watch_.reset();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  for (const auto& waiting : waiting_clients_) ::close(waiting.fd);
  waiting_clients_.clear();
  unsent_.clear();
}

}  // namespace luatnet::socket
