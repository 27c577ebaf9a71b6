// DNS layer: asynchronous name resolution for one adapter on c-ares, driven by the loop (no threads): its
// sockets are watched by the loop's ReadinessPoller like every other descriptor, its timeouts are loop
// Timers. Each adapter owns a Resolver; setDNS changes its servers, otherwise the host's resolv.conf and
// hosts file apply. Results come back on the loop, never from inside a c-ares call.
#pragma once

#include <ares.h>

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loop/readiness_poller.hpp"
#include "loop/timer.hpp"

namespace luatnet::dns {

class Resolver : public std::enable_shared_from_this<Resolver> {
 public:
  using Addresses = std::vector<asio::ip::address>;
  using Callback = std::function<void(Addresses)>;

  // Shared: work it posts to the loop holds it weakly.
  static std::shared_ptr<Resolver> create(asio::io_context& io);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Resolves `host`: IPv4 only, or IPv6 first then IPv4 when `prefer_ipv6`. An empty result means failure.
  // Delivery stops when the returned handle is dropped.
  [[nodiscard]] std::shared_ptr<void> resolve(const std::string& host, bool prefer_ipv6, Callback callback);

  // Sets server `slot` (0-based) to `server` ("ip" or "ip:port"); false when the address is not valid.
  bool set_server(std::size_t slot, const std::string& server);

 private:
  explicit Resolver(asio::io_context& io);
  struct Request;
  // One c-ares socket. The poller reports edges; c-ares expects to be told while a socket stays ready, so
  // reads repeat while bytes are waiting and a new wish to write is tried at once.
  struct Watch final : loop::ReadyHandler {
    Watch(Resolver& owner, int fd, unsigned generation) : owner(owner), fd(fd), generation(generation) {}
    void on_ready(std::uint32_t epoll_events) override { owner.on_ready(fd, generation, epoll_events); }
    Resolver& owner;
    int fd;
    unsigned generation;
    std::optional<loop::ReadinessPoller::Watch> registration;
    bool want_read = false;
    bool want_write = false;
  };

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable);
  static void on_result(void* arg, int status, int timeouts, ares_addrinfo* result);
  void on_ready(int fd, unsigned generation, std::uint32_t epoll_events);
  // The watch of `fd` while it is still the one of `generation` (a closed socket's number may be reused).
  Watch* live_watch(int fd, unsigned generation);
  void process(int read_fd, int write_fd);
  void schedule_timeout();
  void apply_servers();

  asio::io_context& io_;
  loop::ReadinessPoller& poller_;
  ares_channel channel_ = nullptr;
  std::map<int, std::unique_ptr<Watch>> watches_;
  loop::Timer timeout_;
  std::vector<std::string> servers_;
  unsigned generation_ = 0;
};

}  // namespace luatnet::dns
