// Socket layer: the per-socket state machine of the firmware (network_ctrl), free of Lua. Calls from the
// script (linkup, connect, listen, tx, rx, wait, discon, close) return 0 (done), 1 (an event follows) or
// a negative error. Network happenings (DNS answers, its Transport's reports, link changes) go through one
// handler per state, chosen from a table; their results become the events scripts see (LINK, ON_LINE,
// TX_OK, CLOSED, EVENT with 0 or -1), handed to an EventSink in order. It reaches the network only through
// its adapter's Backend, so any backend (the host, a simulated link, an in-memory peer) can drive it.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "loop/activity.hpp"
#include "socket/transport.hpp"
#include "tls/tls_context.hpp"

namespace luatnet::socket {

enum class State : int {
  LinkOff = 0,
  Offline = 1,
  WaitDns = 2,
  Connecting = 3,
  Handshake = 4,
  Online = 5,
  Listening = 6,
  Disconnecting = 7,
};

// What the script is waiting for; an event's id is kEventBase + the target it completes.
enum class WaitTarget : int { None = 0, LinkUp = 1, OnLine = 2, TxOk = 3, OffLine = 4, Event = 5 };

inline constexpr int kEventBase = 0x200000F;
inline constexpr int kEventLink = kEventBase + static_cast<int>(WaitTarget::LinkUp);
inline constexpr int kEventOnLine = kEventBase + static_cast<int>(WaitTarget::OnLine);
inline constexpr int kEventTxOk = kEventBase + static_cast<int>(WaitTarget::TxOk);
inline constexpr int kEventClosed = kEventBase + static_cast<int>(WaitTarget::OffLine);
inline constexpr int kEventEvent = kEventBase + static_cast<int>(WaitTarget::Event);

// Up to this many resolved addresses are tried in turn (and reported by remoteIP).
inline constexpr std::size_t kMaxResolved = 4;

class EventSink {
 public:
  virtual void socket_event(std::uint64_t ctrl_id, int event, int param) = 0;

 protected:
  ~EventSink() = default;
};

struct SocketOptions {
  bool tcp = false;  // as on the device, a ctrl is UDP until socket.config says otherwise
  std::uint16_t local_port = 0;
  KeepAlive keep_alive;
  std::chrono::milliseconds connect_timeout{10000};  // also the limit for a TLS handshake
  std::optional<tls::Credentials> tls;               // set: TLS over TCP, DTLS over UDP
};

class SocketCtrl final : private TransportListener {
 public:
  // A ctrl on adapter `adapter_index`, whose network stack is `backend`.
  // While it has work under way (a socket, a lookup, a wait for the link) the ctrl holds an ActiveHandle of
  // `io`'s loop, so the run is not idle.
  SocketCtrl(std::uint64_t id, int adapter_index, Backend& backend, asio::io_context& io, EventSink& sink);
  ~SocketCtrl();
  SocketCtrl(const SocketCtrl&) = delete;
  SocketCtrl& operator=(const SocketCtrl&) = delete;

  [[nodiscard]] std::uint64_t id() const { return id_; }
  [[nodiscard]] int adapter_index() const { return adapter_index_; }
  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] bool is_tcp() const { return options_.tcp; }
  [[nodiscard]] bool has_open_socket() const { return transport_ != nullptr || dns_request_ != nullptr; }
  // Waiting for its adapter's link to come up (linkup, or connect/listen on a link that is down).
  [[nodiscard]] bool awaiting_link() const { return state_ == State::LinkOff && target_ != WaitTarget::None; }
  [[nodiscard]] const std::vector<asio::ip::address>& resolved() const { return resolved_; }
  [[nodiscard]] std::optional<Endpoint> peer() const;
  [[nodiscard]] bool adapter_accepts_many() const { return backend_.accepts_many(); }

  void configure(const SocketOptions& options) { options_ = options; }
  void set_debug(bool on) { debug_ = on; }

  int link_up();
  // `address` set: connect to it (host only names it); else `host` is an IP literal or a name to resolve.
  int connect(const std::string& host, std::optional<asio::ip::address> address, std::uint16_t port, bool prefer_ipv6);
  int listen(std::size_t max_accept);
  // Multi-client: moves a waiting client into `client` (a fresh ctrl). false when none is waiting.
  bool accept_into(SocketCtrl& client);
  int disconnect();
  void force_close();

  struct TxResult {
    int result;
    std::size_t accepted;
  };
  TxResult tx(std::span<const std::uint8_t> data, const Endpoint* to);
  // Bytes ready for rx (TCP: all, UDP: next datagram); nullopt when rx is not possible now.
  std::optional<std::size_t> pending_rx();
  std::optional<std::size_t> rx(std::span<std::uint8_t> into, Endpoint* from);
  int wait();

  void on_link(bool up);

 private:
  enum class NetEvent {
    LinkUp,
    LinkDown,
    DnsResult,
    Connected,
    Listening,
    NewClient,
    RxNew,
    TxAcked,
    RemoteClosed,
    Failed,
    CloseDone,
    Secured
  };
  using Handler = int (SocketCtrl::*)(NetEvent);
  static bool ends_connection(NetEvent event);

  int in_link_off(NetEvent event);
  int in_offline(NetEvent event);
  int in_wait_dns(NetEvent event);
  int in_connecting(NetEvent event);
  int in_handshake(NetEvent event);
  int in_online(NetEvent event);
  int in_listening(NetEvent event);
  int in_disconnecting(NetEvent event);
  static constexpr std::array<Handler, 8> kHandlers = {
      &SocketCtrl::in_link_off,  &SocketCtrl::in_offline, &SocketCtrl::in_wait_dns,  &SocketCtrl::in_connecting,
      &SocketCtrl::in_handshake, &SocketCtrl::in_online,  &SocketCtrl::in_listening, &SocketCtrl::in_disconnecting};

  void dispatch(NetEvent event);
  // Holds or releases the busy handle as the ctrl's work requires; runs when every entry point returns.
  void update_busy_count();
  struct BusyCountUpdate {
    SocketCtrl& ctrl;
    ~BusyCountUpdate() { ctrl.update_busy_count(); }
  };
  void on_transport_event(TransportEvent event) override;
  [[nodiscard]] bool awaits_acknowledgement() const override { return target_ == WaitTarget::TxOk; }
  int prepare_connect();
  bool open_and_connect(const asio::ip::address& address);
  bool open_and_listen();
  void attach(std::shared_ptr<Transport> transport);
  // Opens a socket on the backend and attaches it; false when the backend refuses.
  bool open_transport(bool ipv6);
  bool prepare_tls_context(tls::TlsContext::Role role);
  // The connection is up: online now (kDone), or once this side's TLS handshake is done (kPending, in
  // state Handshake, with a TLS filter in front of the connection).
  int connection_up(tls::TlsContext::Role role);
  bool data_left_after_close();
  void set_state(State state);
  void report(int event, int param);

  std::uint64_t id_;
  int adapter_index_;
  Backend& backend_;
  asio::io_context& io_;
  EventSink& sink_;
  SocketOptions options_;
  State state_ = State::LinkOff;
  WaitTarget target_ = WaitTarget::None;
  bool debug_ = false;
  bool server_mode_ = false;
  bool need_close_ = false;
  bool unread_ = false;  // data arrived that the script has not taken yet
  std::size_t max_accept_ = 0;
  std::string host_;
  bool prefer_ipv6_ = false;
  std::optional<asio::ip::address> remote_address_;  // a literal or integer address: no DNS, no fallbacks
  std::uint16_t remote_port_ = 0;
  std::vector<asio::ip::address> resolved_;
  std::size_t resolved_attempt_ = 0;
  std::shared_ptr<void> dns_request_;
  std::shared_ptr<Transport> transport_;
  std::shared_ptr<tls::TlsContext> tls_contexts_[2];  // by role, built on first use
  loop::ActiveHandle busy_;
};

const char* state_description(State state);
// An IPv4 or IPv6 literal, IPv4 also in the short forms lwIP accepts ("127.1"); nullopt for a name.
std::optional<asio::ip::address> parse_ip_literal(const std::string& text);

}  // namespace luatnet::socket
