// Device layer: one simulated UART wired to a host endpoint (no Lua here). The other end of the wire is a
// pseudo-terminal (the user attaches screen, minicom or socat to the printed /dev/pts path) or a TCP port on
// 127.0.0.1 (the connected client is the peer; a new client replaces the old one, as a re-plugged cable).
// While the UART is set up, bytes from the peer are kept in a receive buffer (what does not fit is
// dropped, as a full FIFO drops) and announced once per batch; bytes the script writes go to the peer,
// or are dropped when nothing is attached, as a UART transmits whether or not anyone listens.
#pragma once

#include <asio/io_context.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "loop/readiness_poller.hpp"

namespace luatnet::device {

struct UartEndpoint {
  enum class Kind { Pty, Tcp } kind = Kind::Pty;
  std::uint16_t port = 0;  // Tcp: 0 picks a free port
};

// "pty" or "tcp:PORT" (PORT 0..65535); nullopt for anything else.
std::optional<UartEndpoint> parse_uart_endpoint(std::string_view text);

// The most a receive buffer holds (the firmware's largest single read).
inline constexpr std::size_t kUartReceiveLimit = 0x10000;

class UartPort : public std::enable_shared_from_this<UartPort> {
 public:
  struct Events {
    std::function<void()> received;  // new bytes while no announcement is pending (see take_announcement)
    std::function<void()> sent;      // what the last writes handed over has left the UART
  };

  // Opens the endpoint; throws std::runtime_error when the host refuses it. Shared: posted notifications
  // hold the port weakly.
  static std::shared_ptr<UartPort> create(asio::io_context& io, int id, UartEndpoint endpoint);
  ~UartPort();
  UartPort(const UartPort&) = delete;
  UartPort& operator=(const UartPort&) = delete;

  // Where the user attaches: the pty's path or "127.0.0.1:PORT".
  [[nodiscard]] const std::string& where() const { return where_; }
  void set_events(Events events) { events_ = std::move(events); }

  // uart.setup / uart.close: only an open UART keeps what arrives.
  void open();
  void close();
  [[nodiscard]] bool is_open() const { return open_; }

  // Hands `bytes` to the peer; `sent` follows once they are out (at once, posted, when nothing is attached).
  void write(std::string_view bytes);
  // Up to `limit` bytes from the receive buffer.
  std::string read(std::size_t limit);
  [[nodiscard]] std::size_t buffered() const { return received_.size(); }
  void clear() { received_.clear(); }
  // The binding delivering an announcement: from now on new bytes announce themselves again.
  void take_announcement() { announced_ = false; }

 private:
  UartPort(asio::io_context& io, int id, UartEndpoint endpoint);

  class Watcher : public loop::ReadyHandler {
   public:
    Watcher(UartPort& port, bool listener) : port_(port), listener_(listener) {}
    void on_ready(std::uint32_t epoll_events) override;

   private:
    UartPort& port_;
    bool listener_;
  };

  void open_pty();
  void open_tcp(std::uint16_t port);
  void accept_client();
  void drop_peer();
  void drain_peer();
  void flush();
  void post_sent();
  void log(const std::string& text) const;

  asio::io_context& io_;
  loop::ReadinessPoller& poller_;
  int id_;
  std::string where_;
  int listen_fd_ = -1;  // Tcp
  int peer_fd_ = -1;    // the pty's master or the TCP client
  int pty_slave_ = -1;  // kept open so that the master reads no hang-up while nobody is attached
  Watcher listen_watcher_{*this, true};
  Watcher peer_watcher_{*this, false};
  std::optional<loop::ReadinessPoller::Watch> listen_watch_, peer_watch_;
  Events events_;
  bool open_ = false;
  bool announced_ = false;
  bool overflow_logged_ = false;
  bool drop_logged_ = false;
  std::string received_;
  std::string outgoing_;  // handed over by write, not yet taken by the endpoint
};

}  // namespace luatnet::device
