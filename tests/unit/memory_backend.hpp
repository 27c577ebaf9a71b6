// Unit tests' in-memory backend: sockets with no operating system behind them, whose peer is the test.
// The test says what the network does (the peer accepts, refuses, sends, acknowledges, closes; DNS
// answers; the link comes up) and each happening is reported to the state machine at once, so a test
// can put the reports in any order and check what the script would hear, without timing.
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "socket/transport.hpp"

namespace luatnet::socket::testing {

class MemoryTransport final : public Transport {
 public:
  explicit MemoryTransport(bool tcp) : tcp_(tcp) {}

  // --- what the network does (the test's side)
  void peer_accepts() { report(TransportEvent::Connected); }
  void fail(std::errc why) {
    error_ = std::make_error_code(why);
    report(TransportEvent::Failed);
  }
  // Bytes (TCP) or one datagram (UDP) from the peer; reported unless an earlier arrival is still unread.
  void peer_sends(const std::string& bytes) {
    inbound_.push_back(bytes);
    if (!unread_reported_) {
      unread_reported_ = true;
      report(TransportEvent::Readable);
    }
  }
  // The peer has everything sent so far; the ACK comes on its own segment.
  void peer_acknowledges() {
    acknowledged_ = sent_.size();
    report(TransportEvent::AllAcked);
  }
  // The peer's reply carries the ACK of everything sent so far, as TCP piggybacks it.
  void peer_replies(const std::string& bytes) {
    acknowledged_ = sent_.size();
    peer_sends(bytes);
  }
  void peer_closes() { report(TransportEvent::RemoteClosed); }
  // The FIN that shutdown_send asked for has left.
  void shutdown_done() { report(TransportEvent::CloseDone); }
  void set_send_room(std::size_t bytes) { send_room_ = bytes; }

  // --- what the state machine did
  [[nodiscard]] const std::string& sent() const { return sent_; }
  [[nodiscard]] bool is_closed() const { return closed_; }
  [[nodiscard]] bool is_shut_down() const { return shut_down_; }
  [[nodiscard]] const std::optional<Endpoint>& connected_to() const { return remote_; }

  // --- Transport
  void set_listener(TransportListener* listener) override { listener_ = listener; }
  bool connect(const Endpoint& remote, std::uint16_t, const KeepAlive&, std::chrono::milliseconds) override {
    remote_ = remote;
    return true;
  }
  bool listen(std::uint16_t, std::size_t) override { return true; }
  std::shared_ptr<Transport> take_client() override { return nullptr; }
  void start_reading() override {}
  [[nodiscard]] const std::optional<Endpoint>& peer() const override { return remote_; }
  [[nodiscard]] std::error_code last_error() const override { return error_; }
  std::optional<std::size_t> pending() override {
    if (closed_) return std::nullopt;
    if (inbound_.empty()) return 0;
    if (!tcp_) return inbound_.front().size();
    std::size_t total = 0;
    for (const auto& chunk : inbound_) total += chunk.size();
    return total;
  }
  std::optional<std::size_t> receive(std::span<std::uint8_t> into, Endpoint* from) override {
    if (closed_) return std::nullopt;
    std::size_t taken = 0;
    while (!inbound_.empty() && taken < into.size()) {
      auto& front = inbound_.front();
      std::size_t count = std::min(front.size(), into.size() - taken);
      std::copy_n(front.begin(), count, into.begin() + static_cast<std::ptrdiff_t>(taken));
      taken += count;
      if (!tcp_ || count == front.size()) {
        inbound_.erase(inbound_.begin());
        if (!tcp_) break;  // one datagram per read; its rest is lost
      } else {
        front.erase(0, count);
      }
    }
    if (from != nullptr && remote_) *from = *remote_;
    if (inbound_.empty()) unread_reported_ = false;
    return taken;
  }
  std::optional<std::size_t> send(std::span<const std::uint8_t> data, const Endpoint*, bool may_refuse) override {
    if (closed_) return std::nullopt;
    if (may_refuse && queue_full()) return 0;
    sent_.append(data.begin(), data.end());
    return data.size();
  }
  [[nodiscard]] std::size_t queued_bytes() const override { return 0; }
  [[nodiscard]] std::size_t unacknowledged_bytes() override { return sent_.size() - acknowledged_; }
  [[nodiscard]] bool queue_full() override { return unacknowledged_bytes() >= send_room_; }
  [[nodiscard]] bool all_acknowledged() override { return acknowledged_ == sent_.size(); }
  void shutdown_send() override { shut_down_ = true; }
  void close() override {
    closed_ = true;
    listener_ = nullptr;
  }

 private:
  void report(TransportEvent event) {
    if (listener_ != nullptr) listener_->on_transport_event(event);
  }

  bool tcp_;
  TransportListener* listener_ = nullptr;
  std::optional<Endpoint> remote_;
  std::error_code error_;
  std::vector<std::string> inbound_;
  bool unread_reported_ = false;
  std::string sent_;
  std::size_t acknowledged_ = 0;
  std::size_t send_room_ = 64 * 1024;
  bool shut_down_ = false;
  bool closed_ = false;
};

class MemoryBackend final : public Backend {
 public:
  // --- the test's side
  void set_link(bool up) { link_up_ = up; }
  void refuse_sockets(bool refuse) { refuse_sockets_ = refuse; }
  // Answers the lookup of `host` (empty: not found); false when nobody asked or the asker dropped it.
  bool answer(const std::string& host, const Addresses& addresses) {
    auto found = lookups_.find(host);
    if (found == lookups_.end()) return false;
    Lookup lookup = std::move(found->second);
    lookups_.erase(found);
    if (lookup.handle.expired()) return false;
    lookup.callback(addresses);
    return true;
  }
  // The sockets opened so far, oldest first.
  [[nodiscard]] const std::vector<std::shared_ptr<MemoryTransport>>& opened() const { return opened_; }
  MemoryTransport& last() { return *opened_.back(); }

  // --- Backend
  std::shared_ptr<Transport> open(bool tcp, bool) override {
    if (refuse_sockets_) return nullptr;
    return opened_.emplace_back(std::make_shared<MemoryTransport>(tcp));
  }
  [[nodiscard]] bool link_ready() const override { return link_up_; }
  [[nodiscard]] std::shared_ptr<void> resolve(const std::string& host, bool, ResolveCallback callback) override {
    auto handle = std::make_shared<int>(0);
    lookups_[host] = Lookup{handle, std::move(callback)};
    return handle;
  }
  [[nodiscard]] bool accepts_many() const override { return true; }
  [[nodiscard]] std::size_t max_sockets() const override { return 0; }

 private:
  bool link_up_ = true;
  bool refuse_sockets_ = false;
  struct Lookup {
    std::weak_ptr<void> handle;
    ResolveCallback callback;
  };
  std::map<std::string, Lookup> lookups_;
  std::vector<std::shared_ptr<MemoryTransport>> opened_;
};

}  // namespace luatnet::socket::testing
