#include "dns/resolver.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>

#include <asio/post.hpp>
#include <stdexcept>

namespace luatnet::dns {

struct Resolver::Request {
  Resolver* owner;
  std::weak_ptr<Callback> callback;
};

std::shared_ptr<Resolver> Resolver::create(asio::io_context& io) { return std::shared_ptr<Resolver>(new Resolver(io)); }

Resolver::Resolver(asio::io_context& io) : io_(io), poller_(loop::ReadinessPoller::of(io)), timeout_(io) {
  static const int library = ares_library_init(ARES_LIB_INIT_ALL);
  if (library != ARES_SUCCESS) throw std::runtime_error("c-ares initialisation failed");
  ares_options options{};
  options.sock_state_cb = &Resolver::on_socket_state;
  options.sock_state_cb_data = this;
  options.timeout = 2000;  // ms per try
  options.tries = 2;
  if (ares_init_options(&channel_, &options, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) !=
      ARES_SUCCESS) {
    throw std::runtime_error("c-ares channel could not be created");
  }
}

Resolver::~Resolver() {
  ares_destroy(channel_);  // pending requests complete with ARES_EDESTRUCTION; c-ares closes its sockets
  for (auto& [fd, watch] : watches_) {
    if (watch->registration) poller_.forget(*watch->registration);
  }
}

std::shared_ptr<void> Resolver::resolve(const std::string& host, bool prefer_ipv6, Callback callback) {
  auto handle = std::make_shared<Callback>(std::move(callback));
  ares_addrinfo_hints hints{};
  hints.ai_family = prefer_ipv6 ? AF_UNSPEC : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  ares_getaddrinfo(channel_, host.c_str(), nullptr, &hints, &Resolver::on_result, new Request{this, handle});
  schedule_timeout();
  return handle;
}

void Resolver::on_result(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
  std::unique_ptr<Request> request(static_cast<Request*>(arg));
  Addresses v6;
  Addresses v4;
  if (status == ARES_SUCCESS && result != nullptr) {
    for (ares_addrinfo_node* node = result->nodes; node != nullptr; node = node->ai_next) {
      if (node->ai_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
        v4.emplace_back(asio::ip::address_v4(ntohl(in->sin_addr.s_addr)));
      } else if (node->ai_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
        asio::ip::address_v6::bytes_type bytes;
        std::copy(std::begin(in6->sin6_addr.s6_addr), std::end(in6->sin6_addr.s6_addr), bytes.begin());
        v6.emplace_back(asio::ip::address_v6(bytes));
      }
    }
  }
  if (result != nullptr) ares_freeaddrinfo(result);
  if (status == ARES_EDESTRUCTION) return;
  Resolver* owner = request->owner;
  v6.insert(v6.end(), v4.begin(), v4.end());
  // Deliver on the loop: the caller may start another lookup, which c-ares does not allow from here.
  asio::post(owner->io_, [callback = request->callback, addresses = std::move(v6)]() mutable {
    if (auto live = callback.lock()) (*live)(std::move(addresses));
  });
}

void Resolver::on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<Resolver*>(data);
  if (readable == 0 && writable == 0) {
    // c-ares closes the socket next; events already harvested for it find no watch.
    auto found = self->watches_.find(fd);
    if (found != self->watches_.end()) {
      if (found->second->registration) self->poller_.forget(*found->second->registration);
      self->watches_.erase(found);
    }
    return;
  }
  auto& watch = self->watches_[fd];
  if (!watch) {
    watch = std::make_unique<Watch>(*self, fd, ++self->generation_);
    watch->registration = self->poller_.watch(fd, *watch);  // unwatched: the query times out
  }
  bool wants_to_write = writable != 0 && !watch->want_write;
  watch->want_read = readable != 0;
  watch->want_write = writable != 0;
  if (wants_to_write) {
    // No edge may come for a socket that is already writable; try once the callback has returned.
    asio::post(self->io_, [weak = self->weak_from_this(), fd, generation = watch->generation] {
      auto resolver = weak.lock();
      if (resolver && resolver->live_watch(fd, generation)) resolver->process(ARES_SOCKET_BAD, fd);
    });
  }
}

Resolver::Watch* Resolver::live_watch(int fd, unsigned generation) {
  auto found = watches_.find(fd);
  return found != watches_.end() && found->second->generation == generation ? found->second.get() : nullptr;
}

void Resolver::on_ready(int fd, unsigned generation, std::uint32_t epoll_events) {
  Watch* watch = live_watch(fd, generation);
  if (watch == nullptr) return;
  if ((epoll_events & EPOLLOUT) != 0 && watch->want_write) process(ARES_SOCKET_BAD, fd);
  // Hang-ups and errors are read too: c-ares learns of them from the failed read.
  bool readable = (epoll_events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
  while (readable && (watch = live_watch(fd, generation)) != nullptr && watch->want_read) {
    process(fd, ARES_SOCKET_BAD);
    int waiting = 0;
    readable = live_watch(fd, generation) != nullptr && ::ioctl(fd, FIONREAD, &waiting) == 0 && waiting > 0;
  }
}

void Resolver::process(int read_fd, int write_fd) {
  ares_process_fd(channel_, read_fd, write_fd);
  schedule_timeout();
}

void Resolver::schedule_timeout() {
  timeval wait{};
  if (ares_timeout(channel_, nullptr, &wait) == nullptr) {
    timeout_.cancel();
    return;
  }
  timeout_.expires_after(std::chrono::seconds(wait.tv_sec) + std::chrono::microseconds(wait.tv_usec));
  timeout_.async_wait([this](const std::error_code& error) {
    if (!error) process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  });
}

bool Resolver::set_server(std::size_t slot, const std::string& server) {
  std::string host = server;
  auto colon = server.rfind(':');
  if (colon != std::string::npos && server.find(':') == colon) host = server.substr(0, colon);  // ip:port
  std::error_code error;
  asio::ip::make_address(host, error);
  if (error || slot > 7) return false;
  if (servers_.size() <= slot) servers_.resize(slot + 1);
  servers_[slot] = server;
  apply_servers();
  return true;
}

void Resolver::apply_servers() {
  std::string csv;
  for (const auto& server : servers_) {
    if (server.empty()) continue;
    if (!csv.empty()) csv += ',';
    csv += server;
  }
  ares_set_servers_ports_csv(channel_, csv.c_str());
}

}  // namespace luatnet::dns
