// Socket layer: the base of transports that sit in front of another (the simulated link, TLS). Every call
// passes through to the inner transport and every event back to the listener, so a filter overrides only
// what it changes; it is the inner transport's listener for as long as it lives.
#pragma once

#include <memory>
#include <utility>

#include "socket/transport.hpp"

namespace luatnet::socket {

class TransportFilter : public Transport, protected TransportListener {
 public:
  explicit TransportFilter(std::shared_ptr<Transport> inner) : inner_(std::move(inner)) { inner_->set_listener(this); }
  TransportFilter(const TransportFilter&) = delete;
  TransportFilter& operator=(const TransportFilter&) = delete;

  void set_listener(TransportListener* listener) override { listener_ = listener; }
  bool connect(const Endpoint& remote, std::uint16_t local_port, const KeepAlive& keep_alive,
               std::chrono::milliseconds timeout) override {
    return inner_->connect(remote, local_port, keep_alive, timeout);
  }
  bool listen(std::uint16_t local_port, std::size_t max_pending) override {
    return inner_->listen(local_port, max_pending);
  }
  std::shared_ptr<Transport> take_client() override { return inner_->take_client(); }
  void start_reading() override { inner_->start_reading(); }
  [[nodiscard]] const std::optional<Endpoint>& peer() const override { return inner_->peer(); }
  [[nodiscard]] std::error_code last_error() const override { return inner_->last_error(); }
  std::optional<std::size_t> pending() override { return inner_->pending(); }
  std::optional<std::size_t> receive(std::span<std::uint8_t> into, Endpoint* from) override {
    return inner_->receive(into, from);
  }
  std::optional<std::size_t> send(std::span<const std::uint8_t> data, const Endpoint* to,
                                  bool may_refuse = true) override {
    return inner_->send(data, to, may_refuse);
  }
  [[nodiscard]] std::size_t queued_bytes() const override { return inner_->queued_bytes(); }
  [[nodiscard]] std::size_t unacknowledged_bytes() override { return inner_->unacknowledged_bytes(); }
  [[nodiscard]] bool queue_full() override { return inner_->queue_full(); }
  [[nodiscard]] bool all_acknowledged() override { return inner_->all_acknowledged(); }
  void shutdown_send() override { inner_->shutdown_send(); }
  void close() override {
    listener_ = nullptr;
    inner_->close();
  }

 protected:
  void on_transport_event(TransportEvent event) override { emit(event); }
  [[nodiscard]] bool awaits_acknowledgement() const override {
    return listener_ != nullptr && listener_->awaits_acknowledgement();
  }
  void emit(TransportEvent event) {
    if (listener_ != nullptr) listener_->on_transport_event(event);
  }

  std::shared_ptr<Transport> inner_;
  TransportListener* listener_ = nullptr;
};

}  // namespace luatnet::socket
