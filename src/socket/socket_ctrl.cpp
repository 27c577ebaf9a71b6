#include "socket/socket_ctrl.hpp"

#include <arpa/inet.h>

#include <string>

#include "common/logger.hpp"
#include "socket/tls_transport.hpp"

namespace luatnet::socket {
namespace {

constexpr int kDone = 0;
constexpr int kPending = 1;
constexpr int kFailed = -1;

}  // namespace

// A failure, the peer's close or the link going down end a connection, a handshake or a listener.
bool SocketCtrl::ends_connection(NetEvent event) {
  return event == NetEvent::Failed || event == NetEvent::RemoteClosed || event == NetEvent::CloseDone ||
         event == NetEvent::LinkDown;
}

std::optional<asio::ip::address> parse_ip_literal(const std::string& text) {
  std::error_code error;
  auto address = asio::ip::make_address(text, error);
  if (!error) return address;
  // lwIP's ipaddr_aton, like inet_aton, also takes the short forms ("127.1", "10.1.2", one number).
  in_addr v4{};
  if (text.empty() || inet_aton(text.c_str(), &v4) == 0) return std::nullopt;
  return asio::ip::address_v4(ntohl(v4.s_addr));
}

const char* state_description(State state) {
  // The firmware's own descriptions, which scripts print and compare.
  static constexpr const char* kDescriptions[] = {"硬件离线",    "离线", "等待DNS", "正在连接",
                                                  "正在TLS握手", "在线", "在监听",  "正在离线"};
  auto index = static_cast<std::size_t>(state);
  return index < std::size(kDescriptions) ? kDescriptions[index] : "未知";
}

SocketCtrl::SocketCtrl(std::uint64_t id, int adapter_index, Backend& backend, asio::io_context& io, EventSink& sink)
    : id_(id), adapter_index_(adapter_index), backend_(backend), io_(io), sink_(sink), busy_(io) {}

SocketCtrl::~SocketCtrl() { force_close(); }

void SocketCtrl::update_busy_count() { busy_.set(has_open_socket() || awaiting_link()); }

std::optional<Endpoint> SocketCtrl::peer() const {
  if (transport_) return transport_->peer();
  return std::nullopt;
}

void SocketCtrl::set_state(State state) {
  if (debug_ && state != state_) {
    Logger::instance().log(LogLevel::Debug, "socket",
                           "ctrl " + std::to_string(id_) + " state " + std::to_string(static_cast<int>(state_)) +
                               " -> " + std::to_string(static_cast<int>(state)) + " " + state_description(state));
  }
  state_ = state;
}

void SocketCtrl::report(int event, int param) {
  if (debug_) {
    Logger::instance().log(LogLevel::Debug, "socket",
                           "ctrl " + std::to_string(id_) + " event 0x" + std::to_string(event - kEventBase) +
                               " param " + std::to_string(param));
  }
  sink_.socket_event(id_, event, param);
}

void SocketCtrl::attach(std::shared_ptr<Transport> transport) {
  transport_ = std::move(transport);
  transport_->set_listener(this);
}

bool SocketCtrl::open_transport(bool ipv6) {
  auto transport = backend_.open(options_.tcp, ipv6);
  if (!transport) return false;
  attach(std::move(transport));
  return true;
}

void SocketCtrl::on_transport_event(TransportEvent event) {
  // On lwIP the peer's ACK is taken before the data (or FIN) that rides with it, so a script always
  // hears TX_OK before the reply's EVENT: settle the acknowledgement first when the kernel has it.
  bool arrival = event == TransportEvent::Readable || event == TransportEvent::RemoteClosed;
  if (arrival && target_ == WaitTarget::TxOk && state_ == State::Online && transport_->all_acknowledged()) {
    dispatch(NetEvent::TxAcked);
    if (!transport_) return;
  }
  if (event == TransportEvent::Failed && debug_) {
    Logger::instance().log(LogLevel::Debug, "socket",
                           "ctrl " + std::to_string(id_) + " failed: " + transport_->last_error().message());
  }
  // Indexed by TransportEvent, in its order.
  static constexpr NetEvent kFromTransport[] = {NetEvent::Connected, NetEvent::Listening, NetEvent::NewClient,
                                                NetEvent::RxNew,     NetEvent::TxAcked,   NetEvent::RemoteClosed,
                                                NetEvent::Failed,    NetEvent::CloseDone, NetEvent::Secured};
  dispatch(kFromTransport[static_cast<std::size_t>(event)]);
}

void SocketCtrl::on_link(bool up) { dispatch(up ? NetEvent::LinkUp : NetEvent::LinkDown); }

// One step of the machine, as the firmware's network_default_statemachine: the state's handler answers
// 1 (nothing to tell), 0 (the awaited thing happened) or -1 (it failed); 0 and -1 become an event for the
// target the script waits on (EVENT when it waits on nothing, CLOSED when a disconnect completes).
void SocketCtrl::dispatch(NetEvent event) {
  BusyCountUpdate update{*this};
  bool closing = state_ == State::Disconnecting && target_ == WaitTarget::OffLine;
  int result = (this->*kHandlers.at(static_cast<std::size_t>(state_)))(event);
  if (result > 0) {
    // New data while the script waits for something else (TX_OK) is still announced.
    if (event == NetEvent::RxNew && unread_) report(kEventEvent, 0);
    return;
  }
  int id = closing && target_ == WaitTarget::None
               ? kEventClosed
               : kEventBase + static_cast<int>(target_ == WaitTarget::None ? WaitTarget::Event : target_);
  if (state_ != State::Listening || result < 0) target_ = WaitTarget::None;
  report(id, result);
}

int SocketCtrl::in_link_off(NetEvent event) {
  if (event != NetEvent::LinkUp) return kPending;
  set_state(State::Offline);
  if (target_ == WaitTarget::LinkUp) return kDone;
  if (target_ == WaitTarget::OnLine) {
    if (server_mode_) {
      if (!open_and_listen()) return kFailed;
      set_state(State::Connecting);
    } else if (prepare_connect() != 0) {
      return kFailed;
    }
  }
  return kPending;
}

int SocketCtrl::in_offline(NetEvent /*event*/) { return kPending; }

int SocketCtrl::in_wait_dns(NetEvent event) {
  if (need_close_ || target_ != WaitTarget::OnLine) return kFailed;
  switch (event) {
    case NetEvent::Failed:
    case NetEvent::LinkDown:
      return kFailed;
    case NetEvent::DnsResult:
      if (resolved_.empty()) return kFailed;
      if (remote_port_ == 0) {
        set_state(State::Offline);
        return kDone;
      }
      resolved_attempt_ = 0;
      if (!open_and_connect(resolved_.front())) {
        force_close();
        return kFailed;
      }
      set_state(State::Connecting);
      return kPending;
    default:
      return kPending;
  }
}

int SocketCtrl::in_connecting(NetEvent event) {
  if (need_close_ || target_ != WaitTarget::OnLine) return kFailed;
  switch (event) {
    case NetEvent::Failed:
    case NetEvent::RemoteClosed:
    case NetEvent::CloseDone:
      // A named host: try its next address before giving up.
      if (remote_address_ || ++resolved_attempt_ >= resolved_.size()) return kFailed;
      if (!open_and_connect(resolved_.at(resolved_attempt_))) {
        force_close();
        return kFailed;
      }
      return kPending;
    case NetEvent::LinkDown:
      return kFailed;
    case NetEvent::Listening:
      if (server_mode_) set_state(State::Listening);
      return kPending;
    case NetEvent::Connected:
      return connection_up(tls::TlsContext::Role::Client);
    default:
      return kPending;
  }
}

int SocketCtrl::connection_up(tls::TlsContext::Role role) {
  // TLS over TCP either way, DTLS only as a client.
  bool with_tls = options_.tls && (options_.tcp || role == tls::TlsContext::Role::Client);
  if (!with_tls) {
    set_state(State::Online);
    return kDone;
  }
  if (!prepare_tls_context(role)) return kFailed;
  auto filter = std::make_shared<TlsTransport>(io_, transport_, tls_contexts_[static_cast<int>(role)], options_.tcp,
                                               options_.connect_timeout, "ctrl " + std::to_string(id_));
  if (role == tls::TlsContext::Role::Client && !host_.empty()) filter->expect_server(host_, parse_ip_literal(host_));
  attach(filter);
  filter->start_handshake();
  set_state(State::Handshake);
  return kPending;
}

int SocketCtrl::in_handshake(NetEvent event) {
  if (need_close_ || (target_ != WaitTarget::OnLine && target_ != WaitTarget::TxOk)) return kFailed;
  if (ends_connection(event)) {
    need_close_ = true;
    return kFailed;
  }
  if (event != NetEvent::Secured) return kPending;
  set_state(State::Online);
  return kDone;
}

bool SocketCtrl::prepare_tls_context(tls::TlsContext::Role role) {
  auto& context = tls_contexts_[static_cast<int>(role)];
  if (context) return true;
  std::string error;
  context = tls::TlsContext::create(*options_.tls, role, error);
  if (!context) Logger::instance().log(LogLevel::Error, "tls", error);
  return context != nullptr;
}

int SocketCtrl::in_online(NetEvent event) {
  if (need_close_ || target_ == WaitTarget::OffLine) return kFailed;
  if (ends_connection(event)) {
    need_close_ = true;
    return kFailed;
  }
  switch (event) {
    case NetEvent::TxAcked:
      return target_ == WaitTarget::TxOk ? kDone : kPending;
    case NetEvent::RxNew:
      unread_ = true;
      return target_ == WaitTarget::TxOk ? kPending : kDone;
    default:
      return kPending;
  }
}

int SocketCtrl::in_listening(NetEvent event) {
  if (need_close_ || target_ == WaitTarget::OffLine) return kFailed;
  if (ends_connection(event)) {
    need_close_ = true;
    return kFailed;
  }
  switch (event) {
    case NetEvent::NewClient:
    case NetEvent::Connected:
      // Multi-client servers keep listening; a single-client server is now that client's connection.
      if (max_accept_ != 0) return kDone;
      return connection_up(tls::TlsContext::Role::Server);
    default:
      return kPending;
  }
}

int SocketCtrl::in_disconnecting(NetEvent event) {
  if (target_ != WaitTarget::OffLine) return kFailed;
  switch (event) {
    case NetEvent::Failed:
    case NetEvent::RemoteClosed:
    case NetEvent::CloseDone:
      force_close();
      set_state(State::Offline);
      return kDone;
    case NetEvent::LinkDown:
      return kFailed;
    default:
      return kPending;
  }
}

bool SocketCtrl::open_and_connect(const asio::ip::address& address) {
  if (transport_) {
    transport_->close();
    transport_.reset();
  }
  if (!open_transport(address.is_v6())) return false;
  return transport_->connect({address, remote_port_}, options_.local_port, options_.keep_alive,
                             options_.connect_timeout);
}

bool SocketCtrl::open_and_listen() {
  // A TLS server's certificate problems show at listen, and its clients share one configuration.
  if (options_.tls && options_.tcp && !prepare_tls_context(tls::TlsContext::Role::Server)) return false;
  if (!open_transport(true) && !open_transport(false)) return false;
  // UDP servers take no clients; multi-client mode only where the adapter can accept.
  std::size_t waiting = options_.tcp ? max_accept_ : 0;
  if (!transport_->listen(options_.local_port, waiting)) {
    transport_->close();
    transport_.reset();
    return false;
  }
  return true;
}

int SocketCtrl::prepare_connect() {
  if (!remote_address_) {
    if (auto literal = parse_ip_literal(host_)) {
      remote_address_ = literal;
    } else if (host_.empty()) {
      return kFailed;
    } else {
      dns_request_ = backend_.resolve(host_, prefer_ipv6_, [this](Backend::Addresses addresses) {
        dns_request_.reset();
        if (addresses.size() > kMaxResolved) addresses.resize(kMaxResolved);
        resolved_ = std::move(addresses);
        dispatch(NetEvent::DnsResult);
      });
      set_state(State::WaitDns);
      return kDone;
    }
  }
  if (!open_and_connect(*remote_address_)) {
    force_close();
    return kFailed;
  }
  set_state(State::Connecting);
  return kDone;
}

int SocketCtrl::link_up() {
  BusyCountUpdate update{*this};
  if (backend_.link_ready()) {
    set_state(State::Offline);
    target_ = WaitTarget::None;
    return kDone;
  }
  set_state(State::LinkOff);
  target_ = WaitTarget::LinkUp;
  return kPending;
}

int SocketCtrl::connect(const std::string& host, std::optional<asio::ip::address> address, std::uint16_t port,
                        bool prefer_ipv6) {
  BusyCountUpdate update{*this};
  if (has_open_socket()) return kFailed;
  server_mode_ = false;
  need_close_ = false;
  resolved_.clear();
  resolved_attempt_ = 0;
  host_ = host;
  prefer_ipv6_ = prefer_ipv6;
  remote_address_ = std::move(address);
  remote_port_ = port;
  target_ = WaitTarget::OnLine;
  if (!backend_.link_ready()) {
    set_state(State::LinkOff);
    return kPending;
  }
  if (prepare_connect() != 0) {
    set_state(State::Offline);
    target_ = WaitTarget::None;
    return kFailed;
  }
  return kPending;
}

int SocketCtrl::listen(std::size_t max_accept) {
  BusyCountUpdate update{*this};
  max_accept_ = adapter_accepts_many() ? max_accept : 0;
  if (state_ == State::Listening) return adapter_accepts_many() ? kPending : kDone;
  if (has_open_socket()) return kFailed;
  server_mode_ = true;
  need_close_ = false;
  target_ = WaitTarget::OnLine;
  if (!backend_.link_ready()) {
    set_state(State::LinkOff);
    return kPending;
  }
  if (!open_and_listen()) {
    // The device learns of a port in use from its stack afterwards: listen said true, false, and
    // ON_LINE -1 follows.
    set_state(State::Offline);
    target_ = WaitTarget::None;
    report(kEventOnLine, kFailed);
    return kPending;
  }
  set_state(State::Connecting);
  return kPending;
}

bool SocketCtrl::accept_into(SocketCtrl& client) {
  BusyCountUpdate update{*this};
  BusyCountUpdate client_update{client};
  if (!transport_) return false;
  auto connection = transport_->take_client();
  if (!connection) return false;
  client.options_ = options_;
  client.tls_contexts_[static_cast<int>(tls::TlsContext::Role::Server)] =
      tls_contexts_[static_cast<int>(tls::TlsContext::Role::Server)];
  client.attach(std::move(connection));
  client.transport_->start_reading();
  if (options_.tls && options_.tcp) {
    // The accepted ctrl shakes hands on its own and reports ON_LINE to its own receiver.
    client.target_ = WaitTarget::OnLine;
    if (client.connection_up(tls::TlsContext::Role::Server) < 0) {
      client.force_close();
      return false;
    }
    return true;
  }
  client.set_state(State::Online);
  // A client that spoke before it was accepted: its bytes are unread, so wait answers at once.
  auto waiting = client.transport_->pending();
  client.unread_ = waiting && *waiting > 0;
  return true;
}

int SocketCtrl::disconnect() {
  BusyCountUpdate update{*this};
  State old_state = state_;
  need_close_ = false;
  unread_ = false;
  if (!transport_) {
    dns_request_.reset();
    set_state(State::Offline);
    target_ = WaitTarget::None;
    return kDone;
  }
  set_state(State::Disconnecting);
  target_ = WaitTarget::OffLine;
  if (old_state == State::Online && options_.tcp) {
    transport_->shutdown_send();
    return kPending;
  }
  force_close();
  set_state(State::Offline);
  target_ = WaitTarget::None;
  return kDone;
}

// As the firmware's force close: the OS socket goes, the state number stays what it was.
void SocketCtrl::force_close() {
  BusyCountUpdate update{*this};
  if (transport_) {
    transport_->close();
    transport_.reset();
  }
  dns_request_.reset();
  need_close_ = false;
  unread_ = false;
  resolved_.clear();
  resolved_attempt_ = 0;
  target_ = WaitTarget::None;
}

SocketCtrl::TxResult SocketCtrl::tx(std::span<const std::uint8_t> data, const Endpoint* to) {
  BusyCountUpdate update{*this};
  if (need_close_ || !transport_ || state_ != State::Online) return {kFailed, 0};
  if (data.empty()) return {kPending, 0};  // nothing leaves, so no acknowledgement and no TX_OK will come
  auto accepted = transport_->send(data, to);
  if (!accepted) {
    need_close_ = true;
    return {kFailed, 0};
  }
  if (*accepted == 0 && !data.empty()) return {kDone, 0};  // full: nothing taken, no TX_OK will follow
  target_ = WaitTarget::TxOk;
  return {kPending, *accepted};
}

// After the peer's close, what it sent before is still the script's (as lwIP keeps the received pbufs):
// the data announced, and for a stream whatever arrived behind it, until it is read.
bool SocketCtrl::data_left_after_close() {
  if (unread_) return true;
  if (!options_.tcp && !options_.tls) return false;  // UDP drops what it holds; DTLS keeps what it decrypted
  auto left = transport_->pending();
  return left && *left > 0;
}

std::optional<std::size_t> SocketCtrl::pending_rx() {
  if (!transport_ || state_ != State::Online || (need_close_ && !data_left_after_close())) return std::nullopt;
  return transport_->pending();
}

std::optional<std::size_t> SocketCtrl::rx(std::span<std::uint8_t> into, Endpoint* from) {
  BusyCountUpdate update{*this};
  if (!transport_ || state_ != State::Online || (need_close_ && !data_left_after_close())) return std::nullopt;
  unread_ = false;
  return transport_->receive(into, from);
}

int SocketCtrl::wait() {
  BusyCountUpdate update{*this};
  if (unread_) {
    target_ = WaitTarget::Event;
    return kDone;
  }
  if (need_close_ || !transport_ || state_ != State::Online) return kFailed;
  target_ = WaitTarget::Event;
  return kPending;
}

}  // namespace luatnet::socket
