#include "proto/ftp/ftp_session.hpp"

#include <vector>

#include "common/logger.hpp"

namespace luatnet::proto::ftp {
namespace {

void note(LogLevel level, const std::string& message) { Logger::instance().log(level, "ftp", message); }

std::string first_line(const Reply& reply) {
  auto end = reply.text.find("\r\n");
  return reply.text.substr(0, end);
}

}  // namespace

Session::Session(socket::SocketRegistry& sockets, asio::io_context& io, LoginSettings settings)
    : sockets_(sockets), io_(io), settings_(std::move(settings)), timer_(io) {}

std::shared_ptr<Session> Session::create(socket::SocketRegistry& sockets, asio::io_context& io,
                                         LoginSettings settings) {
  std::shared_ptr<Session> session(new Session(sockets, io, std::move(settings)));
  std::weak_ptr<Session> weak = session;
  session->control_ = Connection::create(
      sockets, io, ConnectionOptions{.adapter_index = session->settings_.adapter_index, .connect_timeout = kTimeout},
      ConnectionHandlers{.connected = {},
                         .received =
                             [weak](std::span<const std::uint8_t> bytes) {
                               if (auto self = weak.lock()) self->on_control_bytes(bytes);
                             },
                         .drained = {},
                         .closed =
                             [weak](int /*result*/) {
                               if (auto self = weak.lock()) self->lose_control("control connection closed");
                             }});
  if (session->control_ == nullptr) return nullptr;
  return session;
}

Session::~Session() {
  drop_data();
  if (control_ != nullptr) control_->abort();
}

void Session::login(Done done) { enqueue(Operation{Kind::Login, {}, nullptr, std::move(done)}); }
void Session::command(std::string line, Done done) {
  enqueue(Operation{Kind::Command, std::move(line), nullptr, std::move(done)});
}
void Session::pull(File local, std::string remote, Done done) {
  enqueue(Operation{Kind::Pull, std::move(remote), std::move(local), std::move(done)});
}
void Session::push(File local, std::string remote, Done done) {
  enqueue(Operation{Kind::Push, std::move(remote), std::move(local), std::move(done)});
}
void Session::quit(Done done) { enqueue(Operation{Kind::Quit, {}, nullptr, std::move(done)}); }

void Session::enqueue(Operation operation) {
  queue_.push_back(std::move(operation));
  start_next();
}

void Session::start_next() {
  if (current_ || queue_.empty()) return;
  current_ = std::move(queue_.front());
  queue_.pop_front();
  if (state_ != State::Active) {
    // As the firmware: the first request after the connection was lost fails, and the session ends.
    state_ = State::Ended;
    return complete(Outcome{});
  }
  run(*current_);
}

void Session::run(Operation& operation) {
  switch (operation.kind) {
    case Kind::Login:
      if (!control_->open(settings_.host, settings_.port)) return fail("cannot connect to " + settings_.host);
      arm_timer("the greeting");
      return await_reply([this](const Reply& greeting) {
        if (greeting.code != 220) return fail("greeting: " + first_line(greeting));
        login_user();
      });
    case Kind::Command:
      if (operation.argument.starts_with("LIST")) {
        return open_data([this] { receive_transfer(current_->argument); });
      }
      return run_simple_command(operation.argument);
    case Kind::Pull:
      return binary_mode([this] {
        send_command("SIZE " + current_->argument, [this](const Reply& reply) {
          expected_size_ = parse_size(reply);  // servers without SIZE still serve the file
          open_data([this] { receive_transfer("RETR " + current_->argument); });
        });
      });
    case Kind::Push:
      return binary_mode([this] { open_data([this] { send_transfer("STOR " + current_->argument); }); });
    case Kind::Quit:
      return run_quit();
  }
}

void Session::login_user() {
  send_command("USER " + settings_.user, [this](const Reply& reply) {
    if (reply.code == 230) return complete(Outcome{.ok = true});  // no password needed
    if (reply.code != 331) return fail("USER: " + first_line(reply));
    send_command("PASS " + settings_.password, [this](const Reply& answer) {
      if (answer.code != 230 && answer.code != 202) return fail("PASS: " + first_line(answer));
      complete(Outcome{.ok = true});
    });
  });
}

// Files travel byte for byte: servers that honour ASCII mode (the default) would rewrite line ends.
void Session::binary_mode(std::function<void()> then) {
  send_command("TYPE I", [this, then = std::move(then)](const Reply& reply) {
    if (!reply.positive()) return fail("TYPE I: " + first_line(reply));
    then();
  });
}

void Session::run_simple_command(const std::string& line) {
  send_command(line, [this](const Reply& reply) { complete(Outcome{.ok = true, .text = reply.text}); });
}

void Session::run_quit() {
  send_command("QUIT", [this](const Reply& reply) {
    if (reply.code != 221) return fail("QUIT: " + first_line(reply));
    complete(Outcome{.ok = true, .text = reply.text});
  });
}

void Session::complete(Outcome outcome) {
  ++timer_generation_;
  timer_.cancel();
  on_reply_ = nullptr;
  drop_data();
  if (!current_) return;
  Operation operation = std::move(*current_);
  current_.reset();
  bool ends = operation.kind == Kind::Quit || (operation.kind == Kind::Login && !outcome.ok);
  if (ends && state_ != State::Ended) {
    state_ = State::Ended;
    if (control_ != nullptr) control_->close();
  }
  if (operation.done) operation.done(std::move(outcome));
  start_next();
}

void Session::fail(const std::string& why) {
  note(LogLevel::Warn, why);
  complete(Outcome{});
}

// The control connection is gone or out of step (a timeout, a stream that is not FTP): the running
// operation fails and the next request is the last.
void Session::lose_control(const std::string& why) {
  if (state_ != State::Active) return;
  state_ = State::Lost;
  if (control_ != nullptr) control_->abort();
  if (current_) {
    // A login that never got through ends the session at once.
    if (current_->kind == Kind::Login) state_ = State::Ended;
    fail(why);
  } else {
    note(LogLevel::Warn, why);
  }
}

void Session::send_command(const std::string& line, ReplyHandler on_reply) {
  if (debug_) note(LogLevel::Debug, "send " + (line.starts_with("PASS ") ? std::string("PASS ***") : line));
  if (control_ == nullptr || !control_->send(line + "\r\n")) return lose_control("control connection not open");
  arm_timer("a reply");
  await_reply(std::move(on_reply));
}

void Session::await_reply(ReplyHandler on_reply) { on_reply_ = std::move(on_reply); }

void Session::on_control_bytes(std::span<const std::uint8_t> bytes) {
  if (!reader_.feed(bytes)) return lose_control("the server's replies are not FTP");
  auto keep_alive = shared_from_this();  // a handler may end the owner's last reference
  while (state_ == State::Active) {
    auto reply = reader_.next();
    if (!reply) return;
    if (debug_) note(LogLevel::Debug, "reply " + first_line(*reply));
    if (!on_reply_) {
      note(LogLevel::Debug, "unexpected reply " + first_line(*reply));
      continue;
    }
    ReplyHandler handler = std::move(on_reply_);
    on_reply_ = nullptr;
    ++timer_generation_;
    timer_.cancel();
    handler(*reply);
  }
}

void Session::arm_timer(const char* waiting_for) {
  std::uint64_t generation = ++timer_generation_;
  timer_.expires_after(kTimeout);
  timer_.async_wait(
      [weak = weak_from_this(), generation, what = std::string(waiting_for)](const std::error_code& error) {
        auto self = weak.lock();
        if (error || !self || self->timer_generation_ != generation) return;
        self->lose_control("timed out waiting for " + what);
      });
}

void Session::open_data(std::function<void()> then) {
  send_command("PASV", [this, then = std::move(then)](const Reply& reply) {
    auto address = parse_passive(reply);
    if (!address) return fail("PASV: " + first_line(reply));
    std::string host = unroutable_passive_host(address->host) ? settings_.host : address->host;
    std::weak_ptr<Session> weak = weak_from_this();
    on_data_open_ = then;
    data_ = Connection::create(
        sockets_, io_, ConnectionOptions{.adapter_index = settings_.adapter_index, .connect_timeout = kTimeout},
        ConnectionHandlers{.connected =
                               [weak] {
                                 auto self = weak.lock();
                                 if (!self || !self->on_data_open_) return;
                                 auto next = std::move(self->on_data_open_);
                                 self->on_data_open_ = nullptr;
                                 next();
                               },
                           .received =
                               [weak](std::span<const std::uint8_t> bytes) {
                                 auto self = weak.lock();
                                 if (!self || !self->current_) return;
                                 self->transferred_ += bytes.size();
                                 self->arm_timer("the transfer");
                                 if (self->current_->kind == Kind::Pull) {
                                   if (std::fwrite(bytes.data(), 1, bytes.size(), self->current_->file.get()) !=
                                       bytes.size()) {
                                     self->fail("cannot write the local file");
                                   }
                                 } else if (self->listing_.size() + bytes.size() > kMaxListing) {
                                   self->fail("listing too long");
                                 } else {
                                   self->listing_.append(bytes.begin(), bytes.end());
                                 }
                               },
                           .drained =
                               [weak] {
                                 auto self = weak.lock();
                                 if (self && self->current_ && self->current_->kind == Kind::Push) {
                                   self->push_next_chunk();
                                 }
                               },
                           .closed =
                               [weak](int result) {
                                 auto self = weak.lock();
                                 if (!self || !self->current_) return;
                                 if (self->on_data_open_) return self->fail("data connection failed");
                                 if (self->current_->kind == Kind::Push && (!self->upload_finished_ || result < 0)) {
                                   return self->fail("data connection lost during the upload");
                                 }
                                 self->data_done_ = true;
                                 self->transfer_progress();
                               }});
    if (data_ == nullptr || !data_->open(host, address->port)) return fail("cannot open the data connection");
    arm_timer("the data connection");
  });
}

void Session::receive_transfer(const std::string& line) {
  send_command(line, [this](const Reply& reply) {
    if (reply.preliminary()) {
      transfer_started_ = true;
      return receive_transfer_rest();
    }
    transfer_reply_ = reply;
    transfer_progress();
  });
}

void Session::send_transfer(const std::string& line) {
  send_command(line, [this](const Reply& reply) {
    if (!reply.preliminary()) return fail("STOR: " + first_line(reply));
    transfer_started_ = true;
    receive_transfer_rest();
    push_next_chunk();
  });
}

// After the transfer's 1xx reply: the final one.
void Session::receive_transfer_rest() {
  await_reply([this](const Reply& reply) {
    if (reply.preliminary()) return receive_transfer_rest();
    transfer_reply_ = reply;
    transfer_progress();
  });
}

void Session::push_next_chunk() {
  if (upload_finished_ || data_ == nullptr || !transfer_started_) return;
  std::vector<std::uint8_t> chunk(kUploadChunk);
  std::size_t count = std::fread(chunk.data(), 1, chunk.size(), current_->file.get());
  if (count > 0) {
    chunk.resize(count);
    transferred_ += count;
    arm_timer("the transfer");
    if (!data_->send(chunk)) fail("data connection lost during the upload");
    return;
  }
  if (std::ferror(current_->file.get())) return fail("cannot read the local file");
  upload_finished_ = true;
  data_->close();  // the end of the file, for the server
}

// A transfer is over when the final reply came and the data connection closed.
void Session::transfer_progress() {
  if (!current_ || !transfer_reply_) return;
  if (!transfer_reply_->positive()) return fail("transfer: " + first_line(*transfer_reply_));
  if (!data_done_) return arm_timer("the end of the transfer");
  switch (current_->kind) {
    case Kind::Pull:
      if (std::fflush(current_->file.get()) != 0) return fail("cannot write the local file");
      if (expected_size_ && *expected_size_ != transferred_) {
        return fail("got " + std::to_string(transferred_) + " of " + std::to_string(*expected_size_) + " bytes");
      }
      return complete(Outcome{.ok = true});
    case Kind::Push:
      return complete(Outcome{.ok = true});
    default:
      return complete(Outcome{.ok = true, .text = std::move(listing_)});
  }
}

void Session::drop_data() {
  if (data_ != nullptr) {
    data_->abort();
    data_.reset();
  }
  on_data_open_ = nullptr;
  transfer_reply_.reset();
  transfer_started_ = false;
  data_done_ = false;
  expected_size_.reset();
  transferred_ = 0;
  listing_.clear();
  upload_finished_ = false;
}

}  // namespace luatnet::proto::ftp
