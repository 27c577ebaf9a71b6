// Socket layer, simulated-link decorator: a Backend in front of any other that plays the adapter's
// LinkSimulator conditions (netsim, the adapters file's "simulate") on every socket it opens. It owns the
// whole simulation of the data path in one place: sends wait in its queue for their departure time
// (latency, jitter, bandwidth), arrivals are reported late, UDP datagrams are lost each way, and a TCP
// send is refused as full past the simulated send buffer. While the simulator is off (it can be turned on
// at run time), every call passes straight through.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <vector>

#include "adapter/link_simulator.hpp"
#include "loop/timer.hpp"
#include "socket/transport_filter.hpp"

namespace luatnet::socket {

class SimulatedLinkBackend final : public Backend {
 public:
  SimulatedLinkBackend(asio::io_context& io, std::unique_ptr<Backend> inner, adapter::LinkSimulator& simulator)
      : io_(io), inner_(std::move(inner)), simulator_(simulator) {}

  std::shared_ptr<Transport> open(bool tcp, bool ipv6) override;
  [[nodiscard]] bool link_ready() const override { return inner_->link_ready(); }
  [[nodiscard]] std::shared_ptr<void> resolve(const std::string& host, bool prefer_ipv6,
                                              ResolveCallback callback) override {
    return inner_->resolve(host, prefer_ipv6, std::move(callback));
  }
  [[nodiscard]] bool accepts_many() const override { return inner_->accepts_many(); }
  [[nodiscard]] std::size_t max_sockets() const override { return inner_->max_sockets(); }

 private:
  asio::io_context& io_;
  std::unique_ptr<Backend> inner_;
  adapter::LinkSimulator& simulator_;
};

class SimulatedTransport final : public TransportFilter, public std::enable_shared_from_this<SimulatedTransport> {
 public:
  // Wraps `inner` (and becomes its listener).
  static std::shared_ptr<Transport> wrap(asio::io_context& io, std::shared_ptr<Transport> inner, bool tcp,
                                         adapter::LinkSimulator& simulator);
  SimulatedTransport(asio::io_context& io, std::shared_ptr<Transport> inner, bool tcp,
                     adapter::LinkSimulator& simulator);
  ~SimulatedTransport() override;

  std::shared_ptr<Transport> take_client() override;
  std::optional<std::size_t> send(std::span<const std::uint8_t> data, const Endpoint* to,
                                  bool may_refuse = true) override;
  [[nodiscard]] std::size_t queued_bytes() const override { return inner_->queued_bytes() + departing_bytes_; }
  [[nodiscard]] bool queue_full() override;
  [[nodiscard]] bool all_acknowledged() override { return departing_.empty() && inner_->all_acknowledged(); }
  void shutdown_send() override;
  void close() override;

 private:
  void on_transport_event(TransportEvent event) override;
  // An arrival the inner transport reported: lost (UDP), reported after the link's delay, or at once.
  void arrive();
  void deliver_arrival();
  void schedule_departures();
  void depart_due();

  asio::io_context& io_;
  adapter::LinkSimulator& simulator_;
  struct Departing {
    ProcessClock::time_point at;
    std::vector<std::uint8_t> bytes;
    std::optional<Endpoint> to;
  };
  // Bytes waiting for their departure time. A list: an empty deque holds a 512-byte block, and every
  // socket has this decorator while most never see a simulated link.
  std::list<Departing> departing_;
  std::size_t departing_bytes_ = 0;
  std::unique_ptr<loop::Timer> departure_timer_;
  std::unique_ptr<loop::Timer> arrival_timer_;
  // The peer's close or a failure that came while an arrival was held back: told after that arrival.
  std::optional<TransportEvent> end_behind_arrival_;
  bool tcp_;
  bool arrival_held_ = false;
  bool shutdown_after_departures_ = false;
  bool closed_ = false;
};

}  // namespace luatnet::socket
