#include "proto/http/http_client.hpp"

#include "common/logger.hpp"

namespace luatnet::proto::http {

Client::Client(asio::io_context& io, Request request, ClientOptions options, ClientHandlers handlers)
    : request_(std::move(request)),
      options_(std::move(options)),
      handlers_(std::move(handlers)),
      timer_(io),
      under_way_(io),
      parser_(options_.head_limit, ResponseParser::Handlers{.head_done = [this] { on_head(); },
                                                            .body = [this](auto bytes) { return on_body(bytes); }}) {}

std::shared_ptr<Client> Client::start(socket::SocketRegistry& sockets, asio::io_context& io, Request request,
                                      ClientOptions options, ClientHandlers handlers) {
  std::shared_ptr<Client> client(new Client(io, std::move(request), std::move(options), std::move(handlers)));
  client->connection_ = Connection::create(sockets, io, client->options_.connection,
                                           ConnectionHandlers{.connected = client->relay(&Client::on_connected),
                                                              .received = client->relay(&Client::on_received),
                                                              .drained = {},
                                                              .closed = client->relay(&Client::on_closed)});
  const Target& target = client->request_.target;
  if (client->connection_ == nullptr || !client->connection_->open(target.host, target.port)) return nullptr;
  client->log("connecting to " + target.host + ":" + std::to_string(target.port));
  client->under_way_.hold();
  client->timer_.expires_after(client->options_.timeout);
  client->timer_.async_wait([weak = client->weak_from_this()](const std::error_code& error) {
    auto self = weak.lock();
    if (!error && self) self->fail(kErrorTimeout);
  });
  return client;
}

Client::~Client() { abort(); }

void Client::abort() {
  if (finished_) return;
  stop();
  close_download(false);
}

void Client::stop() {
  finished_ = true;
  under_way_.release();
  timer_.cancel();
  if (connection_) connection_->abort();
}

void Client::on_connected() {
  connected_ = true;
  log("connected, sending " + request_.method + " " + request_.target.path);
  connection_->send(serialize_head(request_));
  if (request_.body) connection_->send(*request_.body);
}

void Client::on_received(std::span<const std::uint8_t> bytes) {
  if (!finished_) on_progress(parser_.feed(bytes));
}

void Client::on_closed(int result) {
  if (finished_) return;
  log("connection closed (" + std::to_string(result) + ")");
  if (!connected_) return fail(kErrorConnect);
  if (parser_.end_of_stream() == ResponseParser::Progress::Complete) return succeed();
  fail(kErrorClose);
}

void Client::on_progress(ResponseParser::Progress progress) {
  using Progress = ResponseParser::Progress;
  switch (progress) {
    case Progress::More:
      return;
    case Progress::Complete:
      return succeed();
    case Progress::BadHead:
      return fail(kErrorHeader);
    case Progress::BadBody:
      return fail(body_error_ != 0 ? body_error_ : kErrorBody);
    case Progress::HeadTooLarge:
      return fail(kErrorRx);
  }
}

void Client::on_head() {
  log("status " + std::to_string(parser_.status()) + ", length " + std::to_string(parser_.announced_length()));
  if (options_.download) {
    // As the firmware: the file is made (or emptied) for any status and removed when it is not a success.
    download_file_ = options_.download->open();
    if (download_file_ == nullptr) {
      log("cannot open the download file");
      body_error_ = kErrorDownload;
    }
  }
  if (handlers_.progress) handlers_.progress(parser_.announced_length(), 0);
}

bool Client::on_body(std::span<const std::uint8_t> bytes) {
  if (body_error_ != 0) return false;
  if (options_.download) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), download_file_) != bytes.size()) body_error_ = kErrorDownload;
  } else if (body_.size() + bytes.size() > options_.max_body) {
    log("body over " + std::to_string(options_.max_body) + " bytes");
    body_error_ = kErrorDownload;
  } else {
    body_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  if (body_error_ != 0) return false;
  received_ += bytes.size();
  if (handlers_.progress) handlers_.progress(parser_.announced_length(), received_);
  return true;
}

void Client::succeed() {
  if (body_error_ != 0) return fail(body_error_);
  Result result{
      .code = parser_.status(), .headers = parser_.headers(), .body = std::move(body_), .body_length = received_};
  if (download_file_ != nullptr && std::fflush(download_file_) != 0) return fail(kErrorDownload);
  close_download(result.code < 300);
  finish(std::move(result));
}

void Client::fail(int code) {
  log("failed with " + std::to_string(code));
  close_download(false);
  finish(Result{.code = code});
}

void Client::finish(Result result) {
  if (finished_) return;
  auto keep_alive = shared_from_this();  // the owner may drop its reference in done()
  stop();
  if (handlers_.done) handlers_.done(std::move(result));
}

void Client::close_download(bool keep) {
  if (download_file_ != nullptr) {
    std::fclose(download_file_);
    download_file_ = nullptr;
    if (!keep) options_.download->remove();
  } else if (!keep && options_.download && parser_.head_done()) {
    options_.download->remove();
  }
}

void Client::log(const std::string& text) const {
  if (options_.debug) Logger::instance().log(LogLevel::Info, "http", text);
}

}  // namespace luatnet::proto::http
