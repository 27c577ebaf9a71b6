#include "proto/sntp/sntp_client.hpp"

#include <algorithm>
#include <asio/post.hpp>
#include <numeric>

#include "common/device_clock.hpp"
#include "common/logger.hpp"

namespace luatnet::proto::sntp {
namespace {

void note(LogLevel level, const std::string& message) { Logger::instance().log(level, "sntp", message); }

}  // namespace

Client::Client(socket::SocketRegistry& sockets, asio::io_context& io, std::function<void(Result)> on_result)
    : sockets_(sockets), io_(io), on_result_(std::move(on_result)), port_(kDefaultPort), timer_(io) {}

std::shared_ptr<Client> Client::create(socket::SocketRegistry& sockets, asio::io_context& io,
                                       std::function<void(Result)> on_result) {
  return std::shared_ptr<Client>(new Client(sockets, io, std::move(on_result)));
}

Client::~Client() { drop_connection(); }

bool Client::set_server(std::size_t slot, const std::string& host) {
  if (slot >= kServerSlots || host.size() > kMaxServerName) return false;
  servers_[slot] = host;
  return true;
}

void Client::start(int adapter_index) {
  running_ = true;
  adapter_index_ = adapter_index;
  next_server_ = 0;
  if (ask_next()) return;
  asio::post(io_, [weak = weak_from_this()] {
    if (auto self = weak.lock()) self->finish(Result::Failed);
  });
}

bool Client::ask_next() {
  drop_connection();
  if (next_server_ >= kServerSlots) return false;
  const std::string& host = servers_[next_server_++];
  std::uint64_t attempt = ++attempt_;
  std::weak_ptr<Client> weak = weak_from_this();
  connection_ = Connection::create(
      sockets_, io_,
      ConnectionOptions{.adapter_index = adapter_index_, .tcp = false, .connect_timeout = kResolveTimeout},
      ConnectionHandlers{.connected =
                             [weak] {
                               if (auto self = weak.lock()) self->on_connected();
                             },
                         .received =
                             [weak](std::span<const std::uint8_t> datagram) {
                               if (auto self = weak.lock()) self->on_datagram(datagram);
                             },
                         .drained = {},
                         .closed =
                             [weak](int /*result*/) {
                               if (auto self = weak.lock()) self->server_failed();
                             }});
  if (connection_ == nullptr || !connection_->open(host, port_)) {
    note(LogLevel::Warn, "cannot query " + host);
    drop_connection();
    return false;
  }
  note(LogLevel::Debug, "query " + host);
  // The server's time covers the name lookup too, as on the device.
  timer_.expires_after(kServerTimeout);
  timer_.async_wait([weak, attempt](const std::error_code& error) {
    auto self = weak.lock();
    if (error || !self || self->attempt_ != attempt || !self->running_) return;
    note(LogLevel::Warn, "no answer from " + self->servers_[self->next_server_ - 1]);
    self->server_failed();
  });
  return true;
}

void Client::on_connected() {
  if (!running_ || connection_ == nullptr) return;
  std::optional<std::int64_t> now;
  if (sync_.valid()) now = sync_.wall_ms(device_clock::uptime_ms()) + sync_.network_delay_ms;
  auto request = make_request(now);
  if (!connection_->send(std::span<const std::uint8_t>(request))) server_failed();
}

void Client::on_datagram(std::span<const std::uint8_t> datagram) {
  std::int64_t arrival = device_clock::uptime_ms();  // before anything else, as it times the reply
  if (!running_) return;
  Parsed parsed = parse_reply(datagram);
  switch (parsed.verdict) {
    case Verdict::Valid:
      accept(parsed.reply, arrival);
      return finish(Result::Updated);
    case Verdict::KissOfDeath:
      note(LogLevel::Warn, "kiss-o'-death " + parsed.reply.reference_id + " from " + servers_[next_server_ - 1]);
      return server_failed();
    case Verdict::Malformed:
      note(LogLevel::Info, "ignoring an invalid reply of " + std::to_string(datagram.size()) + " bytes");
      return;
  }
}

void Client::server_failed() {
  if (!running_) return;
  if (!ask_next()) finish(Result::Failed);
}

// The firmware's bookkeeping: the half round trip, from the echoed originate time and the arrival time on
// the previous sync's clock, is averaged over the last samples; the clock takes the server's transmit time.
void Client::accept(const Reply& reply, std::int64_t uptime_at_arrival) {
  if (reply.originate_ms) {
    std::int64_t arrival_ms = sync_.wall_ms(uptime_at_arrival);
    std::int64_t delay = ((reply.receive_ms - *reply.originate_ms) + (arrival_ms - reply.transmit_ms)) / 2;
    auto& samples = sync_.delay_samples;
    if (sync_.network_delay_ms == 0) {
      samples.fill(delay);
    } else {
      std::shift_left(samples.begin(), samples.end(), 1);
      samples.back() = delay;
    }
    std::int64_t average = std::accumulate(samples.begin(), samples.end(), std::int64_t{0}) / kDelaySamples;
    sync_.network_delay_ms = std::max<std::int64_t>(average, 0);
  }
  std::int64_t boot = reply.transmit_ms - uptime_at_arrival;
  sync_.boot_seconds = boot >= 0 ? boot / 1000 : (boot - 999) / 1000;
  sync_.boot_ms = boot - sync_.boot_seconds * 1000;
  device_clock::set_now_ms(reply.transmit_ms);
  note(LogLevel::Debug, "Unix timestamp: " + std::to_string(reply.transmit_ms / 1000));
}

void Client::finish(Result result) {
  if (!running_) return;
  running_ = false;
  ++attempt_;
  timer_.cancel();
  drop_connection();
  if (on_result_) on_result_(result);
}

void Client::drop_connection() {
  if (connection_ == nullptr) return;
  connection_->abort();
  connection_.reset();
}

}  // namespace luatnet::proto::sntp
