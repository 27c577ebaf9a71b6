// Adapter layer: a simulated link in front of an adapter's host mapping (the adapters config's
// "simulate" entry, or netsim at run time). It decides, with seeded randomness so runs repeat, when the
// link is up, how long each byte takes to leave (latency, jitter, bandwidth), which UDP datagrams are
// lost, and how small the send buffer is. It moves no data itself: the socket layer's simulated-link
// decorator (socket/simulated_link.hpp) asks it for every socket on the adapter.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>

#include "common/process_clock.hpp"

namespace luatnet::adapter {

struct LinkConditions {
  bool link_up = true;
  std::chrono::milliseconds ready_delay{0};  // from start until IP_READY
  std::chrono::milliseconds latency{0};      // one way, each direction
  std::chrono::milliseconds jitter{0};       // added uniformly in [0, jitter]
  double loss = 0;                           // UDP datagrams dropped, each way, 0..1
  std::uint64_t bandwidth_bps = 0;           // 0: no cap
  std::size_t send_buffer = 0;               // bytes a socket may hold unacknowledged; 0: the host's
  std::uint32_t seed = 1;
  std::uint32_t gateway = 0;      // a simulated gateway's IPv4 address (network order) that answers pings; 0: none
  bool gateway_reachable = true;  // false: the gateway does not answer (the router behind the link is down)
};

// Typical small-stack values: lwIP's TCP_SND_BUF on the modules is a few KiB.
inline constexpr std::size_t kLwipSendBuffer = 4 * 1024;
inline constexpr std::size_t kW5500SendBuffer = 2 * 1024;

class LinkSimulator {
 public:
  using Clock = ProcessClock;

  LinkSimulator() = default;

  // Turns the simulation on with these conditions (they may change while sockets are open).
  void apply(const LinkConditions& conditions);
  [[nodiscard]] bool enabled() const { return enabled_; }
  [[nodiscard]] const LinkConditions& conditions() const { return conditions_; }
  void set_link(bool up) { conditions_.link_up = up; }

  // When `bytes` handed over now may reach the wire: after the latency, behind earlier bytes, at the
  // bandwidth cap. Never earlier than a previous answer, so nothing is reordered.
  Clock::time_point departure(std::size_t bytes);
  // How long arriving data waits before the socket reports it.
  Clock::duration arrival_delay();
  bool drop_datagram();

 private:
  Clock::duration one_way_delay();

  LinkConditions conditions_;
  bool enabled_ = false;
  std::mt19937 random_;
  Clock::time_point last_departure_{};
  Clock::time_point wire_free_{};
};

}  // namespace luatnet::adapter
