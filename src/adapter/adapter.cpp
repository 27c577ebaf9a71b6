#include "adapter/adapter.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "common/logger.hpp"

namespace luatnet::adapter {

Adapter::Adapter(asio::io_context& io, AdapterConfig config)
    : config_(std::move(config)), resolver_(dns::Resolver::create(io)) {
  for (std::size_t slot = 0; slot < config_.dns.size(); ++slot) {
    if (!resolver_->set_server(slot, config_.dns[slot])) {
      Logger::instance().log(LogLevel::Warn, "adapter", "ignoring invalid DNS server " + config_.dns[slot]);
    }
  }
  if (config_.simulate) simulator_.apply(*config_.simulate);
  refresh();
}

bool Adapter::refresh() {
  if (config_.interface.empty()) {
    // Host routing is always usable; its address is the default route's interface, else loopback.
    auto route = default_route_interface();
    address_ = route ? query_interface(*route) : std::nullopt;
    if (!address_) address_ = InterfaceAddress{"127.0.0.1", "255.0.0.0", "0.0.0.0", ""};
  } else {
    address_ = query_interface(config_.interface);
  }
  // A simulated gateway is what the adapter reports (and what answers pings in its place).
  if (address_ && simulator_.enabled() && simulator_.conditions().gateway != 0) {
    in_addr gateway{simulator_.conditions().gateway};
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &gateway, text, sizeof text);
    address_->gateway = text;
  }
  bool changed = was_ready_ != ready();
  was_ready_ = ready();
  return changed;
}

bool Adapter::bind_socket(int fd) const {
  if (config_.interface.empty()) return true;
  return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, config_.interface.c_str(),
                    static_cast<socklen_t>(config_.interface.size())) == 0;
}

}  // namespace luatnet::adapter
