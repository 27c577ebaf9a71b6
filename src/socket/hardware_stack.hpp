// Socket layer, hardware-stack decorator: an adapter whose TCP/IP stack is in the network chip (a W5500
// on SPI), played over another backend. The chip's socket table limits how many ctrls the adapter holds
// and whether a listening socket hands out more than one client; the data path is the inner backend's
// (its small per-socket send buffer is what the simulated link uses by default, see adapter.hpp).
#pragma once

#include <memory>

#include "adapter/adapter.hpp"
#include "socket/transport.hpp"

namespace luatnet::socket {

class HardwareStackBackend final : public Backend {
 public:
  HardwareStackBackend(std::unique_ptr<Backend> inner, const adapter::HardwareStack& stack)
      : inner_(std::move(inner)), stack_(stack) {}

  std::shared_ptr<Transport> open(bool tcp, bool ipv6) override { return inner_->open(tcp, ipv6); }
  [[nodiscard]] bool link_ready() const override { return inner_->link_ready(); }
  [[nodiscard]] std::shared_ptr<void> resolve(const std::string& host, bool prefer_ipv6,
                                              ResolveCallback callback) override {
    return inner_->resolve(host, prefer_ipv6, std::move(callback));
  }
  [[nodiscard]] bool accepts_many() const override { return stack_.multi_accept; }
  [[nodiscard]] std::size_t max_sockets() const override { return stack_.sockets; }

 private:
  std::unique_ptr<Backend> inner_;
  adapter::HardwareStack stack_;
};

}  // namespace luatnet::socket
