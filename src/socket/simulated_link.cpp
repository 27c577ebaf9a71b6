#include "socket/simulated_link.hpp"

#include <asio/post.hpp>

#include "loop/weak_handler.hpp"

namespace luatnet::socket {

std::shared_ptr<Transport> SimulatedLinkBackend::open(bool tcp, bool ipv6) {
  auto inner = inner_->open(tcp, ipv6);
  if (!inner) return nullptr;
  return SimulatedTransport::wrap(io_, std::move(inner), tcp, simulator_);
}

std::shared_ptr<Transport> SimulatedTransport::wrap(asio::io_context& io, std::shared_ptr<Transport> inner, bool tcp,
                                                    adapter::LinkSimulator& simulator) {
  return std::make_shared<SimulatedTransport>(io, std::move(inner), tcp, simulator);
}

SimulatedTransport::SimulatedTransport(asio::io_context& io, std::shared_ptr<Transport> inner, bool tcp,
                                       adapter::LinkSimulator& simulator)
    : TransportFilter(std::move(inner)), io_(io), simulator_(simulator), tcp_(tcp) {}

SimulatedTransport::~SimulatedTransport() { close(); }

std::shared_ptr<Transport> SimulatedTransport::take_client() {
  auto client = inner_->take_client();
  if (!client) return nullptr;
  return wrap(io_, std::move(client), true, simulator_);
}

void SimulatedTransport::on_transport_event(TransportEvent event) {
  if (closed_) return;
  switch (event) {
    case TransportEvent::Readable:
      if (simulator_.enabled()) {
        arrive();
        return;
      }
      break;
    case TransportEvent::RemoteClosed:
    case TransportEvent::Failed:
      if (arrival_held_) {
        end_behind_arrival_ = event;
        return;
      }
      break;
    case TransportEvent::AllAcked:
      // TCP bytes still on their way out: the last departure makes the inner transport look again.
      if (tcp_ && !departing_.empty()) return;
      break;
    default:
      break;
  }
  emit(event);
}

void SimulatedTransport::arrive() {
  if (!tcp_ && simulator_.drop_datagram()) {
    // Lost on the way in; reading the datagram makes the inner transport report what follows it.
    std::uint8_t discarded = 0;
    if (!inner_->receive({&discarded, 1}, nullptr)) emit(TransportEvent::Failed);
    return;
  }
  auto delay = simulator_.arrival_delay();
  if (delay.count() <= 0) {
    emit(TransportEvent::Readable);
    return;
  }
  if (!arrival_timer_) arrival_timer_ = std::make_unique<loop::Timer>(io_);
  arrival_held_ = true;
  arrival_timer_->expires_after(delay);
  arrival_timer_->async_wait(
      loop::weak_handler(weak_from_this(), [](SimulatedTransport& self, const std::error_code& error) {
        if (!error) self.deliver_arrival();
      }));
}

void SimulatedTransport::deliver_arrival() {
  arrival_held_ = false;
  auto end = std::exchange(end_behind_arrival_, std::nullopt);
  // The script may have read the data meanwhile (rx does not wait for the report).
  auto left = inner_->pending();
  if (!left || *left > 0 || end) emit(TransportEvent::Readable);
  if (end && !closed_) emit(*end);
}

bool SimulatedTransport::queue_full() {
  if (!simulator_.enabled()) return inner_->queue_full();
  std::size_t queued = queued_bytes();
  std::size_t limit = simulator_.conditions().send_buffer;
  if (limit == 0) return queued >= kSendQueueLimit;
  return queued + inner_->unacknowledged_bytes() >= limit;
}

std::optional<std::size_t> SimulatedTransport::send(std::span<const std::uint8_t> data, const Endpoint* to,
                                                    bool may_refuse) {
  if (closed_) return std::nullopt;
  if (!simulator_.enabled() && departing_.empty()) return inner_->send(data, to, may_refuse);
  if (!tcp_ && simulator_.drop_datagram()) {
    // Lost on the way out: the sender cannot tell.
    asio::post(io_, loop::weak_handler(weak_from_this(),
                                       [](SimulatedTransport& self) { self.emit(TransportEvent::AllAcked); }));
    return data.size();
  }
  if (tcp_ && may_refuse && queue_full()) return 0;
  departing_.push_back({simulator_.departure(data.size()),
                        {data.begin(), data.end()},
                        to != nullptr ? std::optional<Endpoint>(*to) : std::nullopt});
  departing_bytes_ += data.size();
  schedule_departures();
  return data.size();
}

void SimulatedTransport::schedule_departures() {
  if (departing_.empty() || closed_) return;
  if (!departure_timer_) departure_timer_ = std::make_unique<loop::Timer>(io_);
  departure_timer_->expires_at(departing_.front().at);
  departure_timer_->async_wait(
      loop::weak_handler(weak_from_this(), [](SimulatedTransport& self, const std::error_code& error) {
        if (!error && !self.closed_) self.depart_due();
      }));
}

void SimulatedTransport::depart_due() {
  auto self = shared_from_this();  // the listener may drop this transport when a send fails
  auto now = ProcessClock::now();
  while (!departing_.empty() && departing_.front().at <= now) {
    Departing next = std::move(departing_.front());
    departing_.pop_front();
    departing_bytes_ -= next.bytes.size();
    if (!inner_->send(next.bytes, next.to ? &*next.to : nullptr, false)) {
      emit(TransportEvent::Failed);
      return;
    }
  }
  if (departing_.empty() && shutdown_after_departures_) {
    shutdown_after_departures_ = false;
    inner_->shutdown_send();
  }
  schedule_departures();
}

void SimulatedTransport::shutdown_send() {
  if (closed_) return;
  // The FIN follows the bytes still on the link.
  if (!departing_.empty()) {
    shutdown_after_departures_ = true;
    return;
  }
  inner_->shutdown_send();
}

void SimulatedTransport::close() {
  if (closed_) return;
  closed_ = true;
  if (departure_timer_) departure_timer_->cancel();
  if (arrival_timer_) arrival_timer_->cancel();
  departing_.clear();
  departing_bytes_ = 0;
  TransportFilter::close();
}

}  // namespace luatnet::socket
