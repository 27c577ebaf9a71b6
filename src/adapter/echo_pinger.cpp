#include "adapter/echo_pinger.hpp"

#include <arpa/inet.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/logger.hpp"

namespace luatnet::adapter {
namespace {

constexpr std::uint8_t kEchoRequest4 = ICMP_ECHO;
constexpr std::uint8_t kEchoReply4 = ICMP_ECHOREPLY;
constexpr std::uint8_t kEchoRequest6 = 128;
constexpr std::uint8_t kEchoReply6 = 129;
constexpr std::size_t kEchoHeader = 8;
constexpr std::size_t kIpHeader = 20;

void log(LogLevel level, const std::string& text) { Logger::instance().log(level, "icmp", text); }

// Type, code, checksum, identifier, sequence, then bytes 0, 1, 2, ... The kernel fills in the identifier
// (the socket's) and the checksum.
std::string echo_request(int family, std::uint16_t sequence, std::size_t payload) {
  std::string packet(kEchoHeader + payload, '\0');
  packet[0] = static_cast<char>(family == AF_INET ? kEchoRequest4 : kEchoRequest6);
  std::uint16_t network_sequence = htons(sequence);
  std::memcpy(&packet[6], &network_sequence, sizeof network_sequence);
  for (std::size_t at = 0; at < payload; ++at) packet[kEchoHeader + at] = static_cast<char>(at);
  return packet;
}

std::uint32_t elapsed_ms(ProcessClock::time_point since) {
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(ProcessClock::now() - since);
  return static_cast<std::uint32_t>(elapsed.count());
}

}  // namespace

EchoPinger::EchoPinger(asio::io_context& io, AdapterRegistry& adapters)
    : io_(io), adapters_(adapters), requests_(make_requests(std::make_index_sequence<kAdapterCount>())) {}

EchoPinger::~EchoPinger() {
  for (auto& request : requests_) close_socket(request);
}

std::optional<EchoPinger::Target> EchoPinger::parse(const std::string& address) {
  Target target;
  char text[INET6_ADDRSTRLEN] = {};
  if (address.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, address.c_str(), &target.v6) != 1) return std::nullopt;
    target.family = AF_INET6;
    inet_ntop(AF_INET6, &target.v6, text, sizeof text);
  } else {
    // inet_aton reads what lwIP's ipaddr_aton reads ("127.1", hexadecimal parts, ...).
    if (inet_aton(address.c_str(), &target.v4) == 0) return std::nullopt;
    inet_ntop(AF_INET, &target.v4, text, sizeof text);
  }
  target.text = text;
  return target;
}

EchoPinger::Request* EchoPinger::current(int index, std::uint64_t generation) {
  Request& request = requests_.at(static_cast<std::size_t>(index));
  return request.waiting.held() && request.generation == generation ? &request : nullptr;
}

void EchoPinger::close_socket(Request& request) {
  if (request.watch) loop::ReadinessPoller::of(io_).forget(*request.watch);
  request.watch.reset();
  if (request.fd >= 0) ::close(request.fd);
  request.fd = -1;
}

void EchoPinger::finish(Request& request) {
  request.waiting.release();
  if (request.timer) request.timer->cancel();
  close_socket(request);
}

EchoPinger::Outcome EchoPinger::ping(int index, const std::string& address, std::size_t payload) {
  auto target = parse(address);
  if (!target) return Outcome::BadAddress;
  Adapter* adapter = adapters_.find(index);
  if (adapter == nullptr) return Outcome::BadAddress;
  Request& request = requests_.at(static_cast<std::size_t>(index));
  // The earlier request's timer and socket go away; a pending timer handler sees the cancellation.
  finish(request);
  request.timer.reset();
  ++request.generation;
  ++request.sequence;
  request.target = *target;
  request.started = ProcessClock::now();
  request.waiting.hold();
  if (debug_) log(LogLevel::Debug, "adapter " + std::to_string(index) + " echo request to " + target->text);
  const auto& conditions = adapter->simulator().conditions();
  if (adapter->simulator().enabled() && target->family == AF_INET && conditions.gateway != 0 &&
      conditions.gateway == target->v4.s_addr) {
    answer_from_gateway(index, request, kIpHeader + kEchoHeader + payload, *target);
    return Outcome::Sent;
  }
  return send_real(index, request, payload, *target);
}

void EchoPinger::answer_from_gateway(int index, Request& request, std::size_t bytes, const Target& target) {
  Adapter& adapter = *adapters_.find(index);
  LinkSimulator& link = adapter.simulator();
  const char* silence = !adapter.ready()                       ? "the link is down"
                        : !link.conditions().gateway_reachable ? "the gateway is unreachable"
                        : link.drop_datagram()                 ? "the request was lost"
                                                               : nullptr;
  auto outward = silence == nullptr ? link.departure(bytes) - LinkSimulator::Clock::now() : ProcessClock::duration{};
  if (silence == nullptr && link.drop_datagram()) silence = "the reply was lost";
  if (silence != nullptr) {
    if (debug_) log(LogLevel::Debug, "adapter " + std::to_string(index) + ": no answer, " + silence);
    request.waiting.release();
    return;
  }
  deliver(index, request.generation, outward + link.arrival_delay(), EchoReply{index, 0, target.text, kGatewayTtl});
}

EchoPinger::Outcome EchoPinger::send_real(int index, Request& request, std::size_t payload, const Target& target) {
  int protocol = target.family == AF_INET ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6);
  int fd = ::socket(target.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    log(LogLevel::Warn, std::string("no ICMP datagram socket (") + std::strerror(errno) +
                            "): this host's net.ipv4.ping_group_range excludes the process's group");
    request.waiting.release();
    return Outcome::Refused;
  }
  request.fd = fd;
  request.watch = loop::ReadinessPoller::of(io_).watch(fd, request);
  if (!request.watch) {
    log(LogLevel::Warn, "cannot watch an ICMP datagram socket");
    finish(request);
    return Outcome::Refused;
  }
  Adapter& adapter = *adapters_.find(index);
  if (!adapter.bind_socket(fd)) log(LogLevel::Warn, "cannot bind the echo request to adapter " + std::to_string(index));
  int on = 1;
  if (target.family == AF_INET) setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
  std::string packet = echo_request(target.family, request.sequence, payload);
  LinkSimulator& link = adapter.simulator();
  if (!link.enabled()) {
    transmit(index, request.generation, std::move(packet));
    return Outcome::Sent;
  }
  // Over a simulated link: nothing leaves while it is down, a lost request never leaves.
  if (!adapter.ready() || link.drop_datagram()) {
    finish(request);
    return Outcome::Sent;
  }
  request.timer = std::make_unique<loop::Timer>(io_);
  request.timer->expires_at(link.departure(kIpHeader + packet.size()));
  request.timer->async_wait(
      [this, index, generation = request.generation, packet = std::move(packet)](const std::error_code& error) mutable {
        if (!error) transmit(index, generation, std::move(packet));
      });
  return Outcome::Sent;
}

void EchoPinger::transmit(int index, std::uint64_t generation, std::string packet) {
  Request* request = current(index, generation);
  if (request == nullptr) return;
  const Target& target = request->target;
  sockaddr_storage destination{};
  socklen_t length = 0;
  if (target.family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&destination);
    v4->sin_family = AF_INET;
    v4->sin_addr = target.v4;
    length = sizeof *v4;
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&destination);
    v6->sin6_family = AF_INET6;
    v6->sin6_addr = target.v6;
    length = sizeof *v6;
  }
  if (sendto(request->fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&destination), length) < 0) {
    log(LogLevel::Warn,
        "adapter " + std::to_string(index) + " echo request to " + target.text + " not sent: " + std::strerror(errno));
    finish(*request);
    return;
  }
  request->timer = std::make_unique<loop::Timer>(io_);
  request->timer->expires_at(request->started + kEchoReplyLimit);
  request->timer->async_wait([this, index, generation](const std::error_code& error) {
    if (error) return;
    if (Request* expired = current(index, generation)) finish(*expired);
  });
}

// Edge-triggered: drains the socket until the awaited reply or nothing is left.
void EchoPinger::read_reply(Request& request) {
  if (!request.waiting.held() || request.fd < 0) return;
  const Target& target = request.target;
  std::uint8_t reply_type = target.family == AF_INET ? kEchoReply4 : kEchoReply6;
  std::array<std::uint8_t, 2048> data{};
  alignas(cmsghdr) std::array<char, 256> control{};
  while (true) {
    iovec part{data.data(), data.size()};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control.data();
    message.msg_controllen = control.size();
    ssize_t got = recvmsg(request.fd, &message, MSG_DONTWAIT);
    if (got < 0) break;
    std::uint16_t sequence = 0;
    std::memcpy(&sequence, &data[6], sizeof sequence);
    if (got < static_cast<ssize_t>(kEchoHeader) || data[0] != reply_type || ntohs(sequence) != request.sequence) {
      continue;
    }
    int ttl = 0;
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr; header = CMSG_NXTHDR(&message, header)) {
      if (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_TTL)
        std::memcpy(&ttl, CMSG_DATA(header), sizeof ttl);
    }
    LinkSimulator& link = adapters_.find(request.index)->simulator();
    if (link.enabled() && link.drop_datagram()) {
      finish(request);
      return;
    }
    deliver(request.index, request.generation, link.enabled() ? link.arrival_delay() : ProcessClock::duration{0},
            EchoReply{request.index, 0, target.text, ttl});
    return;
  }
}

void EchoPinger::deliver(int index, std::uint64_t generation, ProcessClock::duration delay, EchoReply reply) {
  Request* request = current(index, generation);
  if (request == nullptr) return;
  request->timer = std::make_unique<loop::Timer>(io_, delay);
  request->timer->async_wait([this, index, generation, reply = std::move(reply)](const std::error_code& error) mutable {
    if (error) return;
    Request* answered = current(index, generation);
    if (answered == nullptr) return;
    finish(*answered);
    // A link cut while the reply was on its way loses it, and the firmware drops late replies.
    Adapter* adapter = adapters_.find(index);
    std::uint32_t elapsed = elapsed_ms(answered->started);
    if (adapter == nullptr || !adapter->ready() || elapsed >= kEchoReplyLimit.count() * 1000) return;
    reply.round_trip_ms = elapsed;
    if (debug_) log(LogLevel::Debug, "adapter " + std::to_string(index) + " echo reply from " + reply.from);
    if (on_reply_) on_reply_(reply);
  });
}

}  // namespace luatnet::adapter
