// Adapter layer: one network adapter of the firmware's API (ETH0, LWIP_GP, ...) mapped onto the host.
// An adapter knows its interface (or the host's default routing), whether it is ready, its addresses, the
// stack its sockets run on (the host's, or a hardware one's limits) and its own DNS resolver. Sockets
// created on it are bound to its interface.
#pragma once

#include <asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapter/host_interfaces.hpp"
#include "adapter/link_simulator.hpp"
#include "dns/resolver.hpp"

namespace luatnet::adapter {

// A TCP/IP stack in the network chip instead of the host's (lwIP-like) one, as a W5500 on SPI: a fixed
// socket table and one client per listening socket (the adapters file's "profile", "multi_accept" and
// "max_sockets"). The socket layer plays it as a backend decorator.
struct HardwareStack {
  std::size_t sockets = 0;      // 0: no limit
  bool multi_accept = true;     // listen(ctrl, N>0) can hand out several clients
  std::size_t send_buffer = 0;  // per socket, a simulated link's default; 0: the adapter kind's usual

  static HardwareStack w5500() { return {.sockets = 8, .multi_accept = false, .send_buffer = kW5500SendBuffer}; }
};

struct AdapterConfig {
  int index = 0;
  std::string interface;                        // empty: the host's own routing (what the LuatOS PC simulator does)
  std::optional<HardwareStack> hardware_stack;  // nullopt: the host's own stack
  std::vector<std::string> dns;                 // initial servers ("ip" or "ip:port"); empty: the host's resolv.conf
  std::optional<LinkConditions> simulate;       // a simulated link in front of the mapping
  struct LinkChange {
    std::chrono::milliseconds at;
    bool up;
  };
  std::vector<LinkChange> schedule;  // simulated link changes, from the start of the run
};

class Adapter {
 public:
  Adapter(asio::io_context& io, AdapterConfig config);

  [[nodiscard]] int index() const { return config_.index; }
  [[nodiscard]] const std::string& interface_name() const { return config_.interface; }
  [[nodiscard]] const std::optional<HardwareStack>& hardware_stack() const { return config_.hardware_stack; }
  // Usable: the interface has an address and, when simulated, the link is up and the start delay over.
  [[nodiscard]] bool ready() const {
    return address_.has_value() && (!simulator_.enabled() || (simulator_.conditions().link_up && !held_back_));
  }
  LinkSimulator& simulator() { return simulator_; }
  [[nodiscard]] const std::vector<AdapterConfig::LinkChange>& schedule() const { return config_.schedule; }
  // While held back (a simulated ready_delay), the adapter is not ready.
  void hold_back(bool held) { held_back_ = held; }
  // Address, mask, gateway (and IPv6) while ready.
  [[nodiscard]] const std::optional<InterfaceAddress>& address() const { return address_; }
  dns::Resolver& resolver() { return *resolver_; }

  // Re-reads the interface; returns true when readiness changed since the last refresh.
  bool refresh();
  // Binds a new socket to the adapter's interface (nothing for host routing); false on failure.
  bool bind_socket(int fd) const;

 private:
  AdapterConfig config_;
  std::shared_ptr<dns::Resolver> resolver_;
  std::optional<InterfaceAddress> address_;
  LinkSimulator simulator_;
  bool held_back_ = false;
  bool was_ready_ = false;
};

}  // namespace luatnet::adapter
