// Socket layer, host backend: an adapter of the firmware's API served by the host's own network stack.
// It opens HostSockets bound to the adapter's interface, and answers link state and DNS from the
// adapter (its interface's address, its resolver with the servers socket.setDNS gave it).
#pragma once

#include <asio/io_context.hpp>

#include "adapter/adapter.hpp"
#include "socket/transport.hpp"

namespace luatnet::socket {

class HostBackend final : public Backend {
 public:
  HostBackend(asio::io_context& io, adapter::Adapter& adapter) : io_(io), adapter_(adapter) {}

  std::shared_ptr<Transport> open(bool tcp, bool ipv6) override;
  [[nodiscard]] bool link_ready() const override { return adapter_.ready(); }
  [[nodiscard]] std::shared_ptr<void> resolve(const std::string& host, bool prefer_ipv6,
                                              ResolveCallback callback) override {
    return adapter_.resolver().resolve(host, prefer_ipv6, std::move(callback));
  }
  // The host's stack hands out any number of clients and sockets (descriptors permitting).
  [[nodiscard]] bool accepts_many() const override { return true; }
  [[nodiscard]] std::size_t max_sockets() const override { return 0; }

 private:
  asio::io_context& io_;
  adapter::Adapter& adapter_;
};

}  // namespace luatnet::socket
