// bench: the reference echo server, plain C++ on epoll (edge-triggered, non-blocking, one thread): TCP
// and UDP on the same port. It is the practical limit the Lua servers are compared with.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

struct Pending {
  std::string bytes;
  std::size_t sent = 0;  // bytes[0, sent) are gone; compacted once half is
};

int bound_socket(int type, int port) {
  int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::perror("bind");
    std::exit(1);
  }
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: echo_epoll PORT\n");
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);  // a peer that went away is an error count, not the end of the run
  int port = std::atoi(argv[1]);
  int listener = bound_socket(SOCK_STREAM, port);
  listen(listener, 4096);
  int udp = bound_socket(SOCK_DGRAM, port);
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = listener;
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);
  event.data.fd = udp;
  epoll_ctl(epoll, EPOLL_CTL_ADD, udp, &event);
  std::unordered_map<int, Pending> unsent;
  std::vector<char> buffer(65536);
  std::vector<epoll_event> events(1024);
  while (true) {
    int count = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < count; ++i) {
      int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == listener) {
        int client;
        while ((client = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          int on = 1;
          setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
          epoll_event client_event{};
          client_event.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
          client_event.data.fd = client;
          epoll_ctl(epoll, EPOLL_CTL_ADD, client, &client_event);
        }
        continue;
      }
      if (fd == udp) {
        sockaddr_storage from{};
        socklen_t length = sizeof from;
        ssize_t got;
        while ((got = recvfrom(udp, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&from), &length)) >
               0) {
          sendto(udp, buffer.data(), static_cast<std::size_t>(got), 0, reinterpret_cast<sockaddr*>(&from), length);
          length = sizeof from;
        }
        continue;
      }
      bool closed = false;
      auto& pending = unsent[fd];
      while (true) {
        ssize_t got = read(fd, buffer.data(), buffer.size());
        if (got == 0) closed = true;
        if (got <= 0) break;
        pending.bytes.append(buffer.data(), static_cast<std::size_t>(got));
      }
      while (pending.sent < pending.bytes.size()) {
        ssize_t wrote = write(fd, pending.bytes.data() + pending.sent, pending.bytes.size() - pending.sent);
        if (wrote <= 0) break;
        pending.sent += static_cast<std::size_t>(wrote);
      }
      if (pending.sent == pending.bytes.size()) {
        pending.bytes.clear();
        pending.sent = 0;
      } else if (pending.sent > pending.bytes.size() / 2) {
        pending.bytes.erase(0, pending.sent);
        pending.sent = 0;
      }
      if (closed || (events[static_cast<std::size_t>(i)].events & (EPOLLERR | EPOLLHUP))) {
        unsent.erase(fd);
        close(fd);
      }
    }
  }
}
