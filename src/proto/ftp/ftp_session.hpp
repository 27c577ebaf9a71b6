// Protocol layer, FTP: one client session as the firmware's ftp library runs it (libftp), without Lua.
// A control connection carries commands and replies (ftp_reply); each transfer (RETR, STOR, LIST) gets
// a passive-mode data connection. Operations (login, a command, pull, push, quit) run one at a time in the
// order they were asked for, each ending in one Outcome. Every wait for the server is bounded. Local
// files come in already opened (the binding maps device paths to host paths).
#pragma once

#include <asio/io_context.hpp>
#include "loop/timer.hpp"
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "proto/connection.hpp"
#include "proto/ftp/ftp_reply.hpp"

namespace luatnet::proto::ftp {

struct LoginSettings {
  int adapter_index = 0;
  std::string host;
  std::uint16_t port = 21;
  std::string user;
  std::string password;
};

// What an operation gave: failed, succeeded, or succeeded with text (a reply, a listing).
struct Outcome {
  bool ok = false;
  std::optional<std::string> text;
};

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

class Session final : public std::enable_shared_from_this<Session> {
 public:
  using Done = std::function<void(Outcome)>;
  static constexpr std::chrono::milliseconds kTimeout{30000};  // connect, each reply, a stalled transfer
  static constexpr std::size_t kMaxListing = 4 * 1024 * 1024;
  static constexpr std::size_t kUploadChunk = 64 * 1024;

  // nullptr when the adapter has no socket for the control connection.
  static std::shared_ptr<Session> create(socket::SocketRegistry& sockets, asio::io_context& io, LoginSettings settings);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects and logs in: ok, or not (the session has then ended).
  void login(Done done);
  // Sends `line`; the outcome is the server's reply text. A LIST command gives the listing instead.
  void command(std::string line, Done done);
  // RETR `remote` into `local` (SIZE first, so a short transfer is caught): ok or not.
  void pull(File local, std::string remote, Done done);
  // STOR `local` as `remote`: ok or not.
  void push(File local, std::string remote, Done done);
  // QUIT: the reply's text when the server said goodbye; the session has then ended.
  void quit(Done done);

  // Logs every command sent (the password masked) and every reply, as the firmware's ftp.debug(true).
  void set_debug(bool on) { debug_ = on; }

  // No further operations: login failed, the session quit, or it lost its connection and said so.
  [[nodiscard]] bool ended() const { return state_ == State::Ended; }

 private:
  enum class Kind { Login, Command, Pull, Push, Quit };
  struct Operation {
    Kind kind;
    std::string argument;  // the command line, or the remote name
    File file;
    Done done;
  };
  enum class State { Active, Lost, Ended };
  using ReplyHandler = std::function<void(const Reply&)>;

  Session(socket::SocketRegistry& sockets, asio::io_context& io, LoginSettings settings);
  void enqueue(Operation operation);
  void start_next();
  void run(Operation& operation);
  void complete(Outcome outcome);
  void lose_control(const std::string& why);

  // Control connection.
  void send_command(const std::string& line, ReplyHandler on_reply);
  void await_reply(ReplyHandler on_reply);
  void on_control_bytes(std::span<const std::uint8_t> bytes);
  void arm_timer(const char* waiting_for);

  // Steps of the operations.
  void login_user();
  void run_quit();
  void run_simple_command(const std::string& line);
  void binary_mode(std::function<void()> then);
  // PASV, then the data connection; `then` runs once it is up.
  void open_data(std::function<void()> then);
  // Sends the transfer command and collects the transfer (LIST and RETR).
  void receive_transfer(const std::string& line);
  void send_transfer(const std::string& line);
  void receive_transfer_rest();
  void push_next_chunk();
  void transfer_progress();
  void fail(const std::string& why);
  void drop_data();

  socket::SocketRegistry& sockets_;
  asio::io_context& io_;
  LoginSettings settings_;
  State state_ = State::Active;
  bool debug_ = false;
  std::shared_ptr<Connection> control_;
  ReplyReader reader_;
  ReplyHandler on_reply_;
  std::deque<Operation> queue_;
  std::optional<Operation> current_;
  loop::Timer timer_;
  std::uint64_t timer_generation_ = 0;

  // The running transfer.
  std::shared_ptr<Connection> data_;
  std::function<void()> on_data_open_;
  std::optional<Reply> transfer_reply_;  // the final reply to RETR / STOR / LIST
  bool transfer_started_ = false;        // 125 or 150 seen
  bool data_done_ = false;
  std::optional<std::uint64_t> expected_size_;
  std::uint64_t transferred_ = 0;
  std::string listing_;
  bool upload_finished_ = false;
};

}  // namespace luatnet::proto::ftp
