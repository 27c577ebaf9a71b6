// bench: a load generator for echo servers on loopback. One thread, epoll, non-blocking sockets, bounded
// in time. Modes: pingpong (N connections each sending S bytes and waiting for them back), stream (N
// connections writing S-byte chunks as fast as the server echoes them, with at most --window bytes
// unechoed per connection, so that a server which loses data stalls instead of looking fast), udp (N sockets doing UDP
// ping-pong), connect (N concurrent connect, 1-byte echo, close cycles, optionally at a fixed rate) and idle (open N
// verified connections and hold them). Prints one "RESULT key=value ..." line; with --server-pid it also
// gives the server's CPU time (user + system, all threads) per request over the measured window.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode = "pingpong";
  std::string host = "127.0.0.1";
  int port = 0;
  int conns = 1;
  int size = 64;
  double seconds = 5;
  double warmup = 1;
  double rate = 0;          // connect mode: cycles started per second (0: as fast as possible)
  int window = 256 * 1024;  // stream mode: bytes sent and not yet echoed, per connection
  int server_pid = 0;       // whose CPU time to measure (0: none)
};

// CPU seconds (user + system) that process `pid` has used so far; 0 when it cannot be read.
double cpu_seconds(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(file, line);
  auto after_name = line.rfind(')');  // the command name may hold spaces
  if (after_name == std::string::npos) return 0;
  std::istringstream fields(line.substr(after_name + 2));
  std::string skipped;
  for (int i = 0; i < 11; ++i) fields >> skipped;  // state .. cmajflt: fields 3 to 13
  double user = 0;
  double system = 0;
  fields >> user >> system;
  return (user + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Conn {
  int fd = -1;
  std::size_t sent = 0;
  std::size_t received = 0;
  std::size_t unechoed = 0;  // stream mode
  Clock::time_point started;
  bool connected = false;
};

class LoadGen {
 public:
  explicit LoadGen(const Options& options)
      : options_(options),
        epoll_(epoll_create1(EPOLL_CLOEXEC)),
        payload_(static_cast<std::size_t>(options.size), 'x'),
        buffer_(std::max<std::size_t>(65536, static_cast<std::size_t>(options.size))) {
    address_.sin_family = AF_INET;
    address_.sin_port = htons(static_cast<std::uint16_t>(options.port));
    inet_pton(AF_INET, options.host.c_str(), &address_.sin_addr);
  }

  int run() {
    if (options_.mode == "udp") return run_udp();
    if (options_.mode == "connect") return run_connect();
    return run_tcp();
  }

 private:
  int open_tcp() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    connect(fd, reinterpret_cast<sockaddr*>(&address_), sizeof address_);
    return fd;
  }

  void watch(int fd, std::uint32_t events, std::size_t index, int op = EPOLL_CTL_ADD) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = index;
    epoll_ctl(epoll_, op, fd, &event);
  }

  bool measuring(Clock::time_point now) const { return now >= measure_from_ && now < measure_until_; }

  void record(Clock::time_point now, Clock::time_point started, std::size_t bytes) {
    if (!measuring(now)) return;
    ++requests_;
    bytes_ += bytes;
    latencies_us_.push_back(
        static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - started).count()));
  }

  // Connects every connection and checks each with one echoed message before the clock starts.
  bool establish(std::vector<Conn>& conns) {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    std::size_t ready = 0;
    std::size_t next = 0;
    constexpr std::size_t kInFlight = 64;  // do not overflow a small accept backlog
    std::size_t in_flight = 0;
    std::vector<epoll_event> events(256);
    while (ready < conns.size() && Clock::now() < deadline) {
      while (next < conns.size() && in_flight < kInFlight) {
        conns[next].fd = open_tcp();
        watch(conns[next].fd, EPOLLOUT | EPOLLIN, next);
        ++next;
        ++in_flight;
      }
      int count = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 100);
      for (int i = 0; i < count; ++i) {
        Conn& conn = conns[events[static_cast<std::size_t>(i)].data.u64];
        if (!conn.connected && (events[static_cast<std::size_t>(i)].events & EPOLLOUT)) {
          ssize_t wrote = write(conn.fd, payload_.data() + conn.sent, payload_.size() - conn.sent);
          if (wrote > 0) conn.sent += static_cast<std::size_t>(wrote);
          if (conn.sent == payload_.size()) {
            conn.connected = true;
            conn.sent = 0;
          }
        }
        if (conn.connected && (events[static_cast<std::size_t>(i)].events & EPOLLIN)) {
          ssize_t got = read(conn.fd, buffer_.data(), payload_.size() - conn.received);
          if (got > 0) conn.received += static_cast<std::size_t>(got);
          if (conn.received == payload_.size()) {
            conn.received = 0;
            ++ready;
            --in_flight;
            watch(conn.fd, EPOLLIN | EPOLLET, events[static_cast<std::size_t>(i)].data.u64, EPOLL_CTL_MOD);
          }
        }
      }
    }
    return ready == conns.size();
  }

  int run_tcp() {
    std::vector<Conn> conns(static_cast<std::size_t>(options_.conns));
    if (!establish(conns)) {
      std::fprintf(stderr, "loadgen: could not establish %d connections\n", options_.conns);
      return 1;
    }
    if (options_.mode == "idle") {
      std::printf("RESULT mode=idle conns=%d established=1\n", options_.conns);
      std::fflush(stdout);
      usleep(static_cast<useconds_t>(options_.seconds * 1e6));
      return 0;
    }
    bool stream = options_.mode == "stream";
    auto now = Clock::now();
    measure_from_ = now + std::chrono::milliseconds(static_cast<int>(options_.warmup * 1000));
    measure_until_ = measure_from_ + std::chrono::milliseconds(static_cast<int>(options_.seconds * 1000));
    for (std::size_t i = 0; i < conns.size(); ++i) {
      watch(conns[i].fd, EPOLLIN | EPOLLOUT | EPOLLET, i, EPOLL_CTL_MOD);
      conns[i].started = now;
      send_some(conns[i], stream);
    }
    std::vector<epoll_event> events(1024);
    while (Clock::now() < measure_until_) {
      sample_cpu();
      int count = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 50);
      for (int i = 0; i < count; ++i) {
        Conn& conn = conns[events[static_cast<std::size_t>(i)].data.u64];
        auto flags = events[static_cast<std::size_t>(i)].events;
        if (flags & EPOLLIN) receive_some(conn, stream);
        if (flags & EPOLLOUT) send_some(conn, stream);
        if (flags & (EPOLLERR | EPOLLHUP)) ++errors_;
      }
    }
    report();
    for (auto& conn : conns) close(conn.fd);
    return 0;
  }

  void send_some(Conn& conn, bool stream) {
    auto window = static_cast<std::size_t>(options_.window);
    while (stream ? conn.unechoed < window : conn.sent < payload_.size()) {
      std::size_t count = payload_.size() - conn.sent;
      if (stream) count = std::min(count, window - conn.unechoed);
      ssize_t wrote = write(conn.fd, payload_.data() + conn.sent, count);
      if (wrote <= 0) return;
      conn.sent += static_cast<std::size_t>(wrote);
      if (stream) {
        conn.unechoed += static_cast<std::size_t>(wrote);
        if (conn.sent == payload_.size()) conn.sent = 0;
      }
    }
  }

  void receive_some(Conn& conn, bool stream) {
    while (true) {
      ssize_t got = read(conn.fd, buffer_.data(), buffer_.size());
      if (got <= 0) {
        if (got == 0) ++errors_;
        if (stream) send_some(conn, true);  // the echo made room in the window
        return;
      }
      auto now = Clock::now();
      if (stream) {
        if (measuring(now)) bytes_ += static_cast<std::size_t>(got);
        conn.unechoed -= std::min(conn.unechoed, static_cast<std::size_t>(got));
        continue;
      }
      conn.received += static_cast<std::size_t>(got);
      if (conn.received >= payload_.size()) {
        record(now, conn.started, payload_.size());
        conn.received = 0;
        conn.sent = 0;
        conn.started = now;
        send_some(conn, false);
      }
    }
  }

  int run_udp() {
    std::vector<Conn> conns(static_cast<std::size_t>(options_.conns));
    for (std::size_t i = 0; i < conns.size(); ++i) {
      conns[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      connect(conns[i].fd, reinterpret_cast<sockaddr*>(&address_), sizeof address_);
      watch(conns[i].fd, EPOLLIN, i);
    }
    auto now = Clock::now();
    measure_from_ = now + std::chrono::milliseconds(static_cast<int>(options_.warmup * 1000));
    measure_until_ = measure_from_ + std::chrono::milliseconds(static_cast<int>(options_.seconds * 1000));
    for (auto& conn : conns) {
      conn.started = now;
      send(conn.fd, payload_.data(), payload_.size(), 0);
    }
    std::vector<epoll_event> events(1024);
    std::size_t lost = 0;
    while ((now = Clock::now()) < measure_until_) {
      sample_cpu();
      int count = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 20);
      now = Clock::now();
      for (int i = 0; i < count; ++i) {
        Conn& conn = conns[events[static_cast<std::size_t>(i)].data.u64];
        while (recv(conn.fd, buffer_.data(), buffer_.size(), 0) > 0) {
          record(now, conn.started, payload_.size());
          conn.started = now;
          send(conn.fd, payload_.data(), payload_.size(), 0);
        }
      }
      for (auto& conn : conns) {
        if (now - conn.started > std::chrono::milliseconds(200)) {  // lost: ask again
          ++lost;
          conn.started = now;
          send(conn.fd, payload_.data(), payload_.size(), 0);
        }
      }
    }
    errors_ = lost;
    report();
    return 0;
  }

  int run_connect() {
    std::vector<Conn> slots(static_cast<std::size_t>(options_.conns));
    auto start = Clock::now();
    measure_from_ = start;
    measure_until_ = start + std::chrono::milliseconds(static_cast<int>(options_.seconds * 1000));
    std::size_t started = 0;
    auto begin = [&](std::size_t index, Clock::time_point now) {
      if (options_.rate > 0) {
        double allowed = std::chrono::duration<double>(now - start).count() * options_.rate;
        if (static_cast<double>(started) >= allowed) return;
      }
      Conn& conn = slots[index];
      conn = Conn{};
      conn.fd = open_tcp();
      conn.started = now;
      ++started;
      watch(conn.fd, EPOLLOUT | EPOLLIN, index);
    };
    for (std::size_t i = 0; i < slots.size(); ++i) begin(i, start);
    std::vector<epoll_event> events(1024);
    Clock::time_point now;
    while ((now = Clock::now()) < measure_until_) {
      sample_cpu();
      int count = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 1);
      now = Clock::now();
      for (int i = 0; i < count; ++i) {
        std::size_t index = events[static_cast<std::size_t>(i)].data.u64;
        Conn& conn = slots[index];
        auto flags = events[static_cast<std::size_t>(i)].events;
        if (!conn.connected && (flags & EPOLLOUT)) {
          if (write(conn.fd, "c", 1) == 1) {
            conn.connected = true;
            watch(conn.fd, EPOLLIN, index, EPOLL_CTL_MOD);
          } else {
            ++errors_;
          }
        }
        char byte = 0;
        if (conn.connected && (flags & EPOLLIN) && read(conn.fd, &byte, 1) == 1) {
          record(now, conn.started, 1);
          close(conn.fd);
          conn.fd = -1;
        } else if (flags & (EPOLLERR | EPOLLHUP)) {
          ++errors_;
          close(conn.fd);
          conn.fd = -1;
        }
      }
      for (std::size_t i = 0; i < slots.size(); ++i) {
        if (slots[i].fd < 0) begin(i, now);
      }
    }
    for (auto& conn : slots) {
      if (conn.fd >= 0) close(conn.fd);
    }
    report();
    return 0;
  }

  // The server's CPU time when the measured window opens (taken once) and, at the end, when it closes.
  void sample_cpu() {
    if (options_.server_pid == 0 || cpu_at_start_ >= 0 || Clock::now() < measure_from_) return;
    cpu_at_start_ = cpu_seconds(options_.server_pid);
  }

  void report() {
    double cpu_us_per_request = 0;
    if (options_.server_pid != 0 && cpu_at_start_ >= 0 && requests_ > 0) {
      cpu_us_per_request = (cpu_seconds(options_.server_pid) - cpu_at_start_) * 1e6 / static_cast<double>(requests_);
    }
    std::sort(latencies_us_.begin(), latencies_us_.end());
    auto percentile = [this](double p) -> std::uint32_t {
      if (latencies_us_.empty()) return 0;
      return latencies_us_[std::min(latencies_us_.size() - 1, static_cast<std::size_t>(p * latencies_us_.size()))];
    };
    double seconds = options_.seconds;
    std::printf(
        "RESULT mode=%s conns=%d size=%d seconds=%.1f requests=%llu rps=%.0f mbps=%.2f p50_us=%u p99_us=%u "
        "errors=%llu cpu_us=%.2f\n",
        options_.mode.c_str(), options_.conns, options_.size, seconds, static_cast<unsigned long long>(requests_),
        static_cast<double>(requests_) / seconds, static_cast<double>(bytes_) / seconds / 1e6, percentile(0.5),
        percentile(0.99), static_cast<unsigned long long>(errors_), cpu_us_per_request);
  }

  Options options_;
  int epoll_;
  sockaddr_in address_{};
  std::string payload_;
  std::vector<char> buffer_;
  Clock::time_point measure_from_;
  Clock::time_point measure_until_;
  std::uint64_t requests_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t errors_ = 0;
  double cpu_at_start_ = -1;
  std::vector<std::uint32_t> latencies_us_;
};

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a peer that went away is an error count, not the end of the run
  Options options;
  CLI::App app{"luatnet bench load generator (loopback only)"};
  app.add_option("--mode", options.mode)->check(CLI::IsMember({"pingpong", "stream", "udp", "connect", "idle"}));
  app.add_option("--host", options.host)->check(CLI::IsMember({"127.0.0.1"}));  // loopback only
  app.add_option("--port", options.port)->required();
  app.add_option("--conns", options.conns)->check(CLI::Range(1, 20000));
  app.add_option("--size", options.size)->check(CLI::Range(1, 1 << 20));
  app.add_option("--seconds", options.seconds)->check(CLI::Range(0.1, 300.0));
  app.add_option("--warmup", options.warmup)->check(CLI::Range(0.0, 10.0));
  app.add_option("--rate", options.rate)->check(CLI::NonNegativeNumber);
  app.add_option("--window", options.window)->check(CLI::Range(1, 64 << 20));
  app.add_option("--server-pid", options.server_pid)->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);
  return LoadGen(options).run();
}
