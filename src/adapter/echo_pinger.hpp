// Adapter layer: ICMP echo (ping) from an adapter, what the icmp module runs on. An adapter's simulated
// gateway answers in place of a router, after the link's round trip; loss drops a request or its reply;
// nothing answers while the link is down or the gateway is set unreachable. Any other address gets a real
// echo request through an unprivileged ICMP datagram socket bound to the adapter (delayed by its simulated
// link when it has one). As in the firmware, an adapter has one request outstanding: a new ping supersedes
// it, and a reply later than 16 s is not reported.
#pragma once

#include <netinet/in.h>

#include <array>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "adapter/adapter_registry.hpp"
#include "common/process_clock.hpp"
#include "loop/activity.hpp"
#include "loop/readiness_poller.hpp"
#include "loop/timer.hpp"

namespace luatnet::adapter {

struct EchoReply {
  int adapter_index = 0;
  std::uint32_t round_trip_ms = 0;
  std::string from;  // the address pinged, in its canonical text form
  int ttl = 0;       // of the reply's IP header; 0 for IPv6 (as the firmware reports)
};

// The TTL a simulated gateway's replies carry: a Linux router's default.
inline constexpr int kGatewayTtl = 64;
// Replies after this long are not reported (the firmware's limit).
inline constexpr std::chrono::seconds kEchoReplyLimit{16};
// The largest payload an echo request can carry in one IPv4 datagram.
inline constexpr std::size_t kMaxEchoPayload = 65535 - 20 - 8;

class EchoPinger {
 public:
  using ReplyHandler = std::function<void(const EchoReply&)>;
  enum class Outcome { Sent, BadAddress, Refused };

  EchoPinger(asio::io_context& io, AdapterRegistry& adapters);
  ~EchoPinger();
  EchoPinger(const EchoPinger&) = delete;
  EchoPinger& operator=(const EchoPinger&) = delete;

  void set_reply_handler(ReplyHandler handler) { on_reply_ = std::move(handler); }
  void set_debug(bool on) { debug_ = on; }
  [[nodiscard]] bool debug() const { return debug_; }

  // One echo request of `payload` bytes from the registered adapter `index` to `address` (IPv4 in any
  // form inet_aton reads, or IPv6). Sent: under way, whether or not an answer will come; BadAddress: not an
  // address; Refused: the kernel allows no ICMP datagram socket (net.ipv4.ping_group_range).
  Outcome ping(int index, const std::string& address, std::size_t payload);

 private:
  struct Target {
    int family = AF_INET;
    in_addr v4{};
    in6_addr v6{};
    std::string text;
  };
  // One adapter's outstanding request; the loop's poller reports its socket's replies here.
  struct Request final : loop::ReadyHandler {
    Request(EchoPinger& owner, int index) : owner(&owner), index(index), waiting(owner.io_) {}
    EchoPinger* owner;
    int index;
    std::uint64_t generation = 0;
    std::uint16_t sequence = 0;
    Target target;
    ProcessClock::time_point started;
    std::unique_ptr<loop::Timer> timer;  // the simulated flight, or the reply limit
    int fd = -1;                         // the ICMP datagram socket of a real echo
    std::optional<loop::ReadinessPoller::Watch> watch;
    loop::ActiveHandle waiting;  // held from the request until its answer, its loss or its limit
    void on_ready(std::uint32_t /*epoll_events*/) override { owner->read_reply(*this); }
  };

  template <std::size_t... Index>
  std::array<Request, sizeof...(Index)> make_requests(std::index_sequence<Index...> /*indices*/) {
    return {Request(*this, static_cast<int>(Index))...};
  }
  static std::optional<Target> parse(const std::string& address);
  void answer_from_gateway(int index, Request& request, std::size_t bytes, const Target& target);
  Outcome send_real(int index, Request& request, std::size_t payload, const Target& target);
  void transmit(int index, std::uint64_t generation, std::string packet);
  void read_reply(Request& request);
  void close_socket(Request& request);
  // Reports the reply after `delay` (the way back over a simulated link), if still current and up.
  void deliver(int index, std::uint64_t generation, ProcessClock::duration delay, EchoReply reply);
  void finish(Request& request);
  Request* current(int index, std::uint64_t generation);

  asio::io_context& io_;
  AdapterRegistry& adapters_;
  ReplyHandler on_reply_;
  bool debug_ = false;
  std::array<Request, kAdapterCount> requests_;
};

}  // namespace luatnet::adapter
