#include "socket/host_backend.hpp"

#include "socket/host_socket.hpp"

namespace luatnet::socket {

std::shared_ptr<Transport> HostBackend::open(bool tcp, bool ipv6) {
  auto socket = HostSocket::open(io_, tcp, ipv6, [this](int fd) { return adapter_.bind_socket(fd); });
  if (socket) socket->set_simulator(&adapter_.simulator());
  return socket;
}

}  // namespace luatnet::socket
