// Protocol layer, MQTT: one MQTT 3.1.1 client as the firmware's mqtt library runs it (libemqtt's
// luat_mqtt_client.c): a connection over proto::Connection, CONNECT once the socket is online, a connect
// timer until CONNACK, a ping timer at 3/4 of the keep-alive, acknowledgements for incoming QoS 1/2, and,
// when the link ends, the disconnect report and either a reconnect after a fixed delay or the final close.
// It tells its owner what happened through Event values, in the order the firmware queues its messages.
// Nothing here is resent after a reconnect and nothing is resubscribed: the firmware leaves that to scripts.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loop/activity.hpp"
#include "loop/timer.hpp"
#include "proto/connection.hpp"
#include "proto/mqtt/mqtt_codec.hpp"

namespace luatnet::proto::mqtt {

// The firmware's state numbers (mqttc:state()).
enum class State : int { Disconnected = 0, SocketConnecting = 1, MqttConnecting = 2, Ready = 3 };

// The firmware's disconnect codes: the socket ended, or the broker sent DISCONNECT first.
constexpr int kDisconnectSocket = -1;
constexpr int kDisconnectByBroker = -2;
// error("connect", code) after a broker broke the protocol.
constexpr int kErrorPacketBeforeConnAck = 96;
constexpr int kErrorSecondConnAck = 95;
constexpr int kErrorBadQos = 98;
constexpr int kErrorBadPublish = 99;
// The firmware drops a PUBLISH whose topic or payload exceeds these.
constexpr std::size_t kMaxTopic = 4096;
constexpr std::size_t kMaxPayload = 256 * 1024;

struct Event {
  enum class Kind { ConnAck, Received, Sent, SubAck, UnsubAck, Pong, Disconnect, Close, Error };
  Kind kind;
  int code = 0;                    // Sent/UnsubAck: packet id; SubAck: first return code; Disconnect, Error: code
  std::string text;                // Error: "connect", "tx", "conack", "other", "timeout"
  std::optional<Publish> publish;  // Received
};

struct ClientSettings {
  int adapter_index = 0;
  std::string host;
  std::uint16_t port = 0;
  bool prefer_ipv6 = false;
  std::optional<tls::Credentials> tls;
  std::chrono::seconds connect_timeout{30};     // until CONNACK
  std::size_t max_packet_size = 32 * 1024 + 4;  // rxSize
};

class Client final : public std::enable_shared_from_this<Client> {
 public:
  using Listener = std::function<void(Event)>;
  static std::shared_ptr<Client> create(socket::SocketRegistry& sockets, asio::io_context& io, ClientSettings settings,
                                        Listener listener);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void set_identity(std::string client_id, std::string username, std::string password, bool clean_session);
  void set_keep_alive(std::chrono::seconds keep_alive) { keep_alive_ = keep_alive; }
  void set_auto_reconnect(bool enabled, std::chrono::milliseconds delay);
  [[nodiscard]] bool auto_reconnect() const { return reconnect_; }
  void set_will(std::optional<Will> will) { fields_.will = std::move(will); }

  // Starts connecting. false: already connecting or connected, closed, or no socket could be had.
  bool connect();
  // The packet id used (0 for QoS 0); nullopt when nothing could be sent (not connected).
  std::optional<std::uint16_t> publish(std::string_view topic, std::span<const std::uint8_t> payload, std::uint8_t qos,
                                       bool retain);
  // One SUBSCRIBE (UNSUBSCRIBE) per topic, as the firmware does; the id of the last one.
  std::optional<std::uint16_t> subscribe(const std::vector<Subscription>& subscriptions);
  std::optional<std::uint16_t> unsubscribe(const std::vector<std::string>& topics);
  // Sends DISCONNECT and drops the link: a Disconnect event, then a reconnect if enabled (as the firmware).
  void disconnect();
  // As disconnect, but silent and final: no event, no reconnect; the client is unusable afterwards.
  void close();

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] bool closed() const { return closed_; }
  // Connected, connecting or waiting to reconnect: something will still happen.
  [[nodiscard]] bool busy() const { return session_.held() || reconnect_pending_.held(); }

 private:
  Client(socket::SocketRegistry& sockets, asio::io_context& io, ClientSettings settings, Listener listener);
  void on_connected(std::uint64_t generation);
  void on_received(std::uint64_t generation, std::span<const std::uint8_t> bytes);
  void on_closed(std::uint64_t generation, int result);
  void handle_packet(const Packet& packet);
  void handle_publish(const Packet& packet);
  bool send(const Bytes& packet);
  template <typename Item, typename Encode>
  std::optional<std::uint16_t> send_each(const std::vector<Item>& items, Encode encode);
  std::uint16_t next_packet_id();
  // The firmware's close_socket: drop the link, report Disconnect, then reconnect later or report Close.
  void drop_link();
  void schedule_reconnect();
  void drop_link_then_error(std::string text, int code);
  void retire_connection();
  void start_ping_timer();
  void emit(Event event);

  socket::SocketRegistry& sockets_;
  asio::io_context& io_;
  ClientSettings settings_;
  Listener listener_;
  ConnectFields fields_;
  std::chrono::seconds keep_alive_{240};
  bool reconnect_ = false;
  std::chrono::milliseconds reconnect_delay_{3000};
  bool closed_ = false;
  State state_ = State::Disconnected;
  int error_state_ = 0;
  std::uint16_t last_packet_id_ = 0;
  std::shared_ptr<Connection> connection_;
  std::uint64_t generation_ = 0;  // tells the current connection's reports from a retired one's
  std::map<std::uint64_t, std::shared_ptr<Connection>> retiring_;  // flushing DISCONNECT before they close
  PacketReader reader_;
  loop::Timer connect_timer_;
  loop::Timer ping_timer_;
  loop::Timer reconnect_timer_;
  // The run is not idle while the client is connecting or connected (held from connect() until the state
  // is Disconnected again) or waits to reconnect.
  loop::ActiveHandle session_;
  loop::ActiveHandle reconnect_pending_;
};

}  // namespace luatnet::proto::mqtt
