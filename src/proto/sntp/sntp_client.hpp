// Protocol layer, SNTP: the firmware's time sync (socket.sntp) without Lua. It holds the three server
// slots and the port, asks one server at a time in slot order over UDP (a fresh Connection on the chosen
// adapter for each), gives each server a bounded time, and reports once: Updated after the first valid
// reply, Failed when every server failed. A valid reply sets the device's wall clock (device_clock) and the
// bookkeeping that socket.ntptm shows: the wall-clock time at uptime zero and the averaged network delay.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include "loop/timer.hpp"
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "proto/connection.hpp"
#include "proto/sntp/sntp_packet.hpp"

namespace luatnet::proto::sntp {

inline constexpr std::size_t kServerSlots = 3;
inline constexpr std::size_t kMaxServerName = 30;  // longer names do not fit the firmware's slots
inline constexpr std::chrono::milliseconds kServerTimeout{2000};
inline constexpr std::chrono::milliseconds kResolveTimeout{1000};
inline constexpr std::size_t kDelaySamples = 8;

// What the last syncs established (socket.ntptm).
struct SyncState {
  std::int64_t boot_seconds = 0;  // wall-clock time at uptime zero: whole seconds ...
  std::int64_t boot_ms = 0;       // ... and milliseconds
  std::int64_t network_delay_ms = 0;
  std::array<std::int64_t, kDelaySamples> delay_samples{};

  [[nodiscard]] bool valid() const { return boot_seconds > 0; }
  // Wall-clock milliseconds for a given uptime.
  [[nodiscard]] std::int64_t wall_ms(std::int64_t uptime_ms) const { return boot_seconds * 1000 + boot_ms + uptime_ms; }
};

class Client final : public std::enable_shared_from_this<Client> {
 public:
  enum class Result { Updated, Failed };

  static std::shared_ptr<Client> create(socket::SocketRegistry& sockets, asio::io_context& io,
                                        std::function<void(Result)> on_result);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // false: the name is too long for a slot (the slot keeps its server).
  bool set_server(std::size_t slot, const std::string& host);
  [[nodiscard]] const std::array<std::string, kServerSlots>& servers() const { return servers_; }
  void set_port(std::uint16_t port) { port_ = port; }
  [[nodiscard]] std::uint16_t port() const { return port_; }

  [[nodiscard]] bool running() const { return running_; }
  // Starts asking the servers on `adapter_index`. The result always comes later, from the loop.
  void start(int adapter_index);
  [[nodiscard]] const SyncState& sync() const { return sync_; }

 private:
  Client(socket::SocketRegistry& sockets, asio::io_context& io, std::function<void(Result)> on_result);
  // Asks the next server; false when none is left or it could not even be tried.
  bool ask_next();
  void on_connected();
  void on_datagram(std::span<const std::uint8_t> datagram);
  void server_failed();
  void accept(const Reply& reply, std::int64_t uptime_at_arrival);
  void finish(Result result);
  void drop_connection();

  socket::SocketRegistry& sockets_;
  asio::io_context& io_;
  std::function<void(Result)> on_result_;
  std::array<std::string, kServerSlots> servers_{"ntp.aliyun.com", "ntp.ntsc.ac.cn", "time1.cloud.tencent.com"};
  std::uint16_t port_;
  bool running_ = false;
  int adapter_index_ = 0;
  std::size_t next_server_ = 0;
  std::uint64_t attempt_ = 0;  // tells a stale timer from the current server's
  std::shared_ptr<Connection> connection_;
  loop::Timer timer_;
  SyncState sync_;
};

}  // namespace luatnet::proto::sntp
