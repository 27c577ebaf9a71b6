#include "proto/mqtt/mqtt_client.hpp"

#include "common/logger.hpp"

namespace luatnet::proto::mqtt {
namespace {

void log_warning(const std::string& text) { Logger::instance().log(LogLevel::Warn, "mqtt", text); }

}  // namespace

Client::Client(socket::SocketRegistry& sockets, asio::io_context& io, ClientSettings settings, Listener listener)
    : sockets_(sockets),
      io_(io),
      settings_(std::move(settings)),
      listener_(std::move(listener)),
      reader_(settings_.max_packet_size),
      connect_timer_(io),
      ping_timer_(io),
      reconnect_timer_(io),
      session_(io),
      reconnect_pending_(io) {
  // Until auth() says otherwise: no client id and no clean session, as the firmware's zeroed broker.
  fields_.clean_session = false;
}

std::shared_ptr<Client> Client::create(socket::SocketRegistry& sockets, asio::io_context& io, ClientSettings settings,
                                       Listener listener) {
  return std::shared_ptr<Client>(new Client(sockets, io, std::move(settings), std::move(listener)));
}

Client::~Client() {
  if (connection_) connection_->abort();
  for (auto& [generation, connection] : retiring_) connection->abort();
}

void Client::set_identity(std::string client_id, std::string username, std::string password, bool clean_session) {
  fields_.client_id = std::move(client_id);
  fields_.username = std::move(username);
  fields_.password = std::move(password);
  fields_.clean_session = clean_session;
  last_packet_id_ = 0;  // the firmware's mqtt_init restarts the message ids
}

void Client::set_auto_reconnect(bool enabled, std::chrono::milliseconds delay) {
  reconnect_ = enabled;
  reconnect_delay_ = delay;
}

bool Client::connect() {
  if (closed_ || state_ != State::Disconnected) return false;
  reconnect_timer_.cancel();
  reconnect_pending_.release();
  error_state_ = 0;
  reader_.reset();
  std::uint64_t generation = ++generation_;
  std::weak_ptr<Client> weak = weak_from_this();
  connection_ = Connection::create(
      sockets_, io_,
      ConnectionOptions{
          .adapter_index = settings_.adapter_index, .prefer_ipv6 = settings_.prefer_ipv6, .tls = settings_.tls},
      handlers_for(weak, generation, &Client::on_connected, &Client::on_received, nullptr, &Client::on_closed));
  if (!connection_ || !connection_->open(settings_.host, settings_.port)) {
    if (connection_) connection_->abort();
    connection_.reset();
    return false;
  }
  state_ = State::SocketConnecting;
  session_.hold();
  connect_timer_.expires_after(settings_.connect_timeout);
  connect_timer_.async_wait([weak](const std::error_code& error) {
    auto self = weak.lock();
    if (error || !self || self->state_ == State::Ready || self->state_ == State::Disconnected) return;
    log_warning("no CONNACK from " + self->settings_.host + " in time");
    self->emit(Event{.kind = Event::Kind::Error, .code = 0, .text = "timeout"});
    self->drop_link();
  });
  return true;
}

void Client::on_connected(std::uint64_t generation) {
  if (generation != generation_ || state_ != State::SocketConnecting) return;
  state_ = State::MqttConnecting;
  fields_.keep_alive = static_cast<std::uint16_t>(keep_alive_.count());
  send(encode_connect(fields_));
}

void Client::on_received(std::uint64_t generation, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty() && generation == generation_ && state_ != State::Disconnected) {
    auto [status, used] = reader_.feed(bytes);
    bytes = bytes.subspan(used);
    switch (status) {
      case PacketReader::Status::NeedMore:
        return;
      case PacketReader::Status::Ready:
        handle_packet(reader_.packet());
        break;
      case PacketReader::Status::TooLarge:
        log_warning("packet larger than the receive buffer (" + std::to_string(settings_.max_packet_size) +
                    " bytes), closing");
        return drop_link();
      case PacketReader::Status::Malformed:
        log_warning("malformed remaining length from the broker, closing");
        return drop_link();
    }
  }
}

void Client::on_closed(std::uint64_t generation, int /*result*/) {
  if (retiring_.erase(generation) > 0 || generation != generation_ || state_ == State::Disconnected) return;
  connection_.reset();
  // As the firmware: the socket's error first (connecting failed, or any later failure), then the drop.
  const char* what = state_ == State::SocketConnecting ? "connect" : "other";
  emit(Event{.kind = Event::Kind::Error, .code = 0, .text = what});
  drop_link();
}

void Client::handle_packet(const Packet& packet) {
  PacketType type = packet.type();
  if (type != PacketType::ConnAck && state_ != State::Ready) {
    return drop_link_then_error("connect", kErrorPacketBeforeConnAck);
  }
  if (type == PacketType::ConnAck && state_ == State::Ready) {
    return drop_link_then_error("connect", kErrorSecondConnAck);
  }
  switch (type) {
    case PacketType::ConnAck: {
      auto connack = parse_connack(packet);
      if (!connack) return drop_link();
      if (connack->return_code != 0) {
        error_state_ = connack->return_code;
        drop_link();
        return emit(Event{.kind = Event::Kind::Error, .code = connack->return_code, .text = "conack"});
      }
      state_ = State::Ready;
      connect_timer_.cancel();
      reconnect_timer_.cancel();
      reconnect_pending_.release();
      emit(Event{.kind = Event::Kind::ConnAck});
      return start_ping_timer();
    }
    case PacketType::Publish:
      return handle_publish(packet);
    case PacketType::PubAck:
    case PacketType::PubComp:
    case PacketType::PubRec:
    case PacketType::PubRel:
    case PacketType::UnsubAck: {
      auto id = parse_packet_id(packet);
      if (!id) return drop_link();
      if (type == PacketType::PubRec) {
        send(encode_acknowledgement(PacketType::PubRel, *id));
      } else if (type == PacketType::PubRel) {
        send(encode_acknowledgement(PacketType::PubComp, *id));
      } else {
        emit(Event{.kind = type == PacketType::UnsubAck ? Event::Kind::UnsubAck : Event::Kind::Sent, .code = *id});
      }
      return;
    }
    case PacketType::SubAck: {
      auto suback = parse_suback(packet);
      if (!suback) return drop_link();
      return emit(Event{.kind = Event::Kind::SubAck, .code = suback->return_codes.front()});
    }
    case PacketType::PingResp:
      return emit(Event{.kind = Event::Kind::Pong});
    case PacketType::Disconnect:
      error_state_ = kDisconnectByBroker;
      return;
    default:
      return;  // packets only a broker receives: ignored, as the firmware does
  }
}

void Client::handle_publish(const Packet& packet) {
  if (((packet.flags() >> 1) & 0x03) == 3) return drop_link_then_error("connect", kErrorBadQos);
  auto publish = parse_publish(packet);
  if (!publish || publish->topic.empty() || publish->topic.size() > kMaxTopic ||
      publish->payload.size() > kMaxPayload) {
    return drop_link_then_error("connect", kErrorBadPublish);
  }
  std::uint8_t qos = publish->qos;
  std::uint16_t id = publish->packet_id;
  emit(Event{.kind = Event::Kind::Received, .publish = std::move(publish)});
  if (qos == 1) send(encode_acknowledgement(PacketType::PubAck, id));
  if (qos == 2) send(encode_acknowledgement(PacketType::PubRec, id));
}

std::optional<std::uint16_t> Client::publish(std::string_view topic, std::span<const std::uint8_t> payload,
                                             std::uint8_t qos, bool retain) {
  if (!connection_ || !connection_->online()) return std::nullopt;
  std::uint16_t id = qos > 0 ? next_packet_id() : 0;
  if (!send(encode_publish(topic, payload, qos, retain, id))) return std::nullopt;
  if (qos == 0) emit(Event{.kind = Event::Kind::Sent, .code = 0});
  return id;
}

// One packet per item, each with its own id, as the firmware sends them.
template <typename Item, typename Encode>
std::optional<std::uint16_t> Client::send_each(const std::vector<Item>& items, Encode encode) {
  std::optional<std::uint16_t> last;
  for (const auto& item : items) {
    if (!connection_ || !connection_->online()) return std::nullopt;
    std::uint16_t id = next_packet_id();
    if (!send(encode(id, std::span(&item, 1)))) return std::nullopt;
    last = id;
  }
  return last;
}

std::optional<std::uint16_t> Client::subscribe(const std::vector<Subscription>& subscriptions) {
  return send_each(subscriptions, encode_subscribe);
}

std::optional<std::uint16_t> Client::unsubscribe(const std::vector<std::string>& topics) {
  return send_each(topics, encode_unsubscribe);
}

void Client::disconnect() {
  if (closed_) return;
  send(encode_disconnect());
  drop_link();
}

void Client::close() {
  if (closed_) return;
  send(encode_disconnect());
  closed_ = true;
  state_ = State::Disconnected;
  session_.release();
  reconnect_pending_.release();
  connect_timer_.cancel();
  ping_timer_.cancel();
  reconnect_timer_.cancel();
  retire_connection();
}

bool Client::send(const Bytes& packet) {
  if (!connection_ || !connection_->online()) return false;
  return connection_->send(packet);
}

std::uint16_t Client::next_packet_id() {
  if (++last_packet_id_ == 0) last_packet_id_ = 1;
  return last_packet_id_;
}

void Client::drop_link() {
  if (state_ == State::Disconnected) return;
  state_ = State::Disconnected;
  session_.release();
  connect_timer_.cancel();
  ping_timer_.cancel();
  retire_connection();
  emit(Event{.kind = Event::Kind::Disconnect, .code = error_state_ != 0 ? error_state_ : kDisconnectSocket});
  if (!reconnect_) return emit(Event{.kind = Event::Kind::Close});
  schedule_reconnect();
}

void Client::schedule_reconnect() {
  reconnect_pending_.hold();
  reconnect_timer_.expires_after(reconnect_delay_);
  reconnect_timer_.async_wait([weak = weak_from_this()](const std::error_code& error) {
    auto self = weak.lock();
    if (error || !self || !self->reconnect_pending_.held()) return;
    Logger::instance().log(LogLevel::Info, "mqtt",
                           "reconnecting to " + self->settings_.host + ":" + std::to_string(self->settings_.port));
    // The firmware gives up for good when a reconnect cannot even start; trying again after the same
    // delay is what a device in the field needs.
    if (!self->connect()) self->schedule_reconnect();
  });
}

void Client::drop_link_then_error(std::string text, int code) {
  drop_link();
  emit(Event{.kind = Event::Kind::Error, .code = code, .text = std::move(text)});
}

// The link is over for the client; bytes already queued (a DISCONNECT) still leave before the FIN.
void Client::retire_connection() {
  if (!connection_) return;
  if (connection_->online()) {
    connection_->close();
    retiring_.emplace(generation_, std::move(connection_));
  } else {
    connection_->abort();
  }
  connection_.reset();
  ++generation_;
}

void Client::start_ping_timer() {
  ping_timer_.expires_after(std::chrono::milliseconds(keep_alive_) * 3 / 4);
  ping_timer_.async_wait([weak = weak_from_this()](const std::error_code& error) {
    auto self = weak.lock();
    if (error || !self || self->state_ != State::Ready) return;
    self->send(encode_pingreq());
    self->start_ping_timer();
  });
}

void Client::emit(Event event) {
  if (listener_) listener_(std::move(event));
}

}  // namespace luatnet::proto::mqtt
