#include "device/uart_port.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pty.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <asio/post.hpp>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "common/logger.hpp"

namespace luatnet::device {
namespace {

bool would_block() { return errno == EAGAIN || errno == EWOULDBLOCK; }

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::optional<UartEndpoint> parse_uart_endpoint(std::string_view text) {
  if (text == "pty") return UartEndpoint{UartEndpoint::Kind::Pty, 0};
  constexpr std::string_view kTcp = "tcp:";
  if (!text.starts_with(kTcp)) return std::nullopt;
  std::string_view digits = text.substr(kTcp.size());
  unsigned port = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty() || port > 65535) {
    return std::nullopt;
  }
  return UartEndpoint{UartEndpoint::Kind::Tcp, static_cast<std::uint16_t>(port)};
}

std::shared_ptr<UartPort> UartPort::create(asio::io_context& io, int id, UartEndpoint endpoint) {
  return std::shared_ptr<UartPort>(new UartPort(io, id, endpoint));
}

UartPort::UartPort(asio::io_context& io, int id, UartEndpoint endpoint)
    : io_(io), poller_(loop::ReadinessPoller::of(io)), id_(id) {
  if (endpoint.kind == UartEndpoint::Kind::Pty) {
    open_pty();
  } else {
    open_tcp(endpoint.port);
  }
  log("wired to " + where_);
}

UartPort::~UartPort() {
  if (listen_watch_) poller_.forget(*listen_watch_);
  if (peer_watch_) poller_.forget(*peer_watch_);
  close_fd(listen_fd_);
  close_fd(peer_fd_);
  close_fd(pty_slave_);
}

void UartPort::log(const std::string& text) const {
  Logger::instance().log(LogLevel::Info, "uart", "uart" + std::to_string(id_) + ": " + text);
}

void UartPort::open_pty() {
  int master = -1;
  int slave = -1;
  if (::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) {
    throw std::runtime_error("uart" + std::to_string(id_) + ": no pseudo-terminal: " + std::strerror(errno));
  }
  // Raw bytes both ways: no echo, no line editing, no CR/LF translation.
  termios mode{};
  if (::tcgetattr(slave, &mode) == 0) {
    ::cfmakeraw(&mode);
    ::tcsetattr(slave, TCSANOW, &mode);
  }
  ::fcntl(master, F_SETFD, FD_CLOEXEC);
  ::fcntl(slave, F_SETFD, FD_CLOEXEC);
  set_nonblocking(master);
  char* name = ::ptsname(master);
  where_ = name != nullptr ? name : "?";
  peer_fd_ = master;
  pty_slave_ = slave;
  peer_watch_ = poller_.watch(peer_fd_, peer_watcher_);
}

void UartPort::open_tcp(std::uint16_t port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int on = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 4) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    std::string why = std::strerror(errno);
    close_fd(listen_fd_);
    throw std::runtime_error("uart" + std::to_string(id_) + ": cannot listen on 127.0.0.1:" + std::to_string(port) +
                             ": " + why);
  }
  where_ = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  listen_watch_ = poller_.watch(listen_fd_, listen_watcher_);
}

void UartPort::Watcher::on_ready(std::uint32_t epoll_events) {
  if (listener_) {
    port_.accept_client();
    return;
  }
  if ((epoll_events & EPOLLOUT) != 0) port_.flush();
  if ((epoll_events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) port_.drain_peer();
}

void UartPort::accept_client() {
  while (true) {
    int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) return;  // EAGAIN: all taken; anything else: the next edge tries again
    if (peer_fd_ >= 0) {
      log("a new client replaces the connected one");
      drop_peer();
    }
    peer_fd_ = client;
    peer_watch_ = poller_.watch(peer_fd_, peer_watcher_);
    drop_logged_ = false;
    log("client connected");
  }
}

void UartPort::drop_peer() {
  if (peer_watch_) poller_.forget(*peer_watch_);
  peer_watch_.reset();
  close_fd(peer_fd_);
}

// Edge-triggered: read until the endpoint has nothing more, so that the next edge means new bytes.
void UartPort::drain_peer() {
  char chunk[4096];
  while (peer_fd_ >= 0) {
    ssize_t count = ::read(peer_fd_, chunk, sizeof chunk);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0 && would_block()) break;
    if (count <= 0) {
      // The TCP client left (a pty's master never ends: its slave stays open here).
      log("client disconnected");
      drop_peer();
      break;
    }
    if (!open_) continue;  // a closed UART takes nothing in
    auto room = kUartReceiveLimit - received_.size();
    auto kept = std::min(room, static_cast<std::size_t>(count));
    received_.append(chunk, kept);
    if (kept < static_cast<std::size_t>(count) && !overflow_logged_) {
      overflow_logged_ = true;
      log("receive buffer full (" + std::to_string(kUartReceiveLimit) + " bytes): further bytes dropped until read");
    }
  }
  if (open_ && !received_.empty() && !announced_ && events_.received) {
    announced_ = true;
    events_.received();
  }
}

void UartPort::open() {
  open_ = true;
  received_.clear();
  overflow_logged_ = false;
}

void UartPort::close() {
  open_ = false;
  announced_ = false;
  received_.clear();
  outgoing_.clear();
}

std::string UartPort::read(std::size_t limit) {
  std::string bytes = received_.substr(0, limit);
  received_.erase(0, bytes.size());
  return bytes;
}

void UartPort::write(std::string_view bytes) {
  if (peer_fd_ < 0 || bytes.empty()) {
    if (!bytes.empty() && !drop_logged_) {
      drop_logged_ = true;
      log("nothing attached at " + where_ + ": written bytes are dropped");
    }
    post_sent();
    return;
  }
  auto room = kUartReceiveLimit - std::min(kUartReceiveLimit, outgoing_.size());
  if (bytes.size() > room) log("the peer does not read: " + std::to_string(bytes.size() - room) + " bytes dropped");
  outgoing_.append(bytes.substr(0, room));
  flush();
}

void UartPort::flush() {
  if (outgoing_.empty()) return;
  while (!outgoing_.empty() && peer_fd_ >= 0) {
    ssize_t count = ::send(peer_fd_, outgoing_.data(), outgoing_.size(), MSG_NOSIGNAL);
    if (count < 0 && errno == ENOTSOCK) count = ::write(peer_fd_, outgoing_.data(), outgoing_.size());
    if (count < 0 && errno == EINTR) continue;
    if (count < 0 && would_block()) return;  // EPOLLOUT calls again
    if (count < 0) {
      outgoing_.clear();
      break;
    }
    outgoing_.erase(0, static_cast<std::size_t>(count));
  }
  outgoing_.clear();  // all out, or the peer went away with the rest
  post_sent();
}

// The firmware reports "sent" through its message queue, never from inside uart.write.
void UartPort::post_sent() {
  asio::post(io_, [weak = weak_from_this()] {
    auto port = weak.lock();
    if (port && port->open_ && port->events_.sent) port->events_.sent();
  });
}

}  // namespace luatnet::device
