#include "socket/host_backend.hpp"

#include "socket/host_socket.hpp"

namespace luatnet::socket {

std::shared_ptr<Transport> HostBackend::open(bool tcp, bool ipv6) {
  return HostSocket::open(io_, tcp, ipv6, [this](int fd) { return adapter_.bind_socket(fd); });
}

}  // namespace luatnet::socket
