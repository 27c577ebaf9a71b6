#include "adapter/adapter_registry.hpp"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "adapter/link_presets.hpp"
#include "common/logger.hpp"

namespace luatnet::adapter {
namespace {

int parse_index(const nlohmann::json& value) {
  if (value.is_number_integer()) return value.get<int>();
  if (value.is_string()) {
    if (auto index = index_by_name(value.get<std::string>())) return *index;
    throw std::runtime_error("unknown adapter name " + value.get<std::string>());
  }
  throw std::runtime_error("an adapter index must be a number or a name such as \"ETH0\"");
}

// "profile": "posix"/"lwip" (the host's stack) or "w5500" (a hardware one); "multi_accept" and
// "max_sockets" set or override its limits.
std::optional<HardwareStack> parse_hardware_stack(const nlohmann::json& entry) {
  std::optional<HardwareStack> stack;
  std::string name = entry.value("profile", "posix");
  if (name == "w5500") {
    stack = HardwareStack::w5500();
  } else if (name != "posix" && name != "lwip") {
    throw std::runtime_error("unknown adapter profile " + name + " (posix, lwip or w5500)");
  }
  if (entry.contains("multi_accept") || entry.contains("max_sockets")) {
    if (!stack) stack = HardwareStack{};
    stack->multi_accept = entry.value("multi_accept", stack->multi_accept);
    stack->sockets = entry.value("max_sockets", stack->sockets);
  }
  return stack;
}

// "simulate": { "preset", "link": "up"|"down", "ready_delay_ms", "latency_ms", "jitter_ms", "loss",
//               "bandwidth_kbps", "send_buffer", "seed", "gateway", "gateway_reachable" }: a preset's
// values, each overridable.
LinkConditions parse_simulation(const nlohmann::json& entry, int index, const std::optional<HardwareStack>& stack) {
  LinkConditions conditions;
  if (entry.contains("preset")) {
    auto name = entry["preset"].get<std::string>();
    auto preset = link_preset(name);
    if (!preset)
      throw std::runtime_error("unknown link preset " + name + " (" + std::string(link_preset_names()) + ")");
    conditions = *preset;
  }
  conditions.link_up = entry.value("link", "up") != "down";
  conditions.ready_delay = std::chrono::milliseconds(entry.value("ready_delay_ms", conditions.ready_delay.count()));
  conditions.latency = std::chrono::milliseconds(entry.value("latency_ms", conditions.latency.count()));
  conditions.jitter = std::chrono::milliseconds(entry.value("jitter_ms", conditions.jitter.count()));
  conditions.loss = entry.value("loss", conditions.loss);
  if (conditions.loss < 0 || conditions.loss > 1) throw std::runtime_error("simulate.loss must be 0..1");
  conditions.bandwidth_bps = entry.value("bandwidth_kbps", conditions.bandwidth_bps / 1000) * 1000;
  // A small stack's send buffer unless told otherwise: a hardware stack's own, lwIP's for LWIP_* adapters.
  std::size_t typical = stack && stack->send_buffer != 0 ? stack->send_buffer : (index < kEth0 ? kLwipSendBuffer : 0);
  conditions.send_buffer = entry.value("send_buffer", typical);
  conditions.seed = entry.value("seed", 1U);
  if (entry.contains("gateway")) {
    in_addr gateway{};
    if (inet_pton(AF_INET, entry["gateway"].get<std::string>().c_str(), &gateway) != 1 || gateway.s_addr == 0) {
      throw std::runtime_error("simulate.gateway must be an IPv4 address");
    }
    conditions.gateway = gateway.s_addr;
  }
  conditions.gateway_reachable = entry.value("gateway_reachable", true);
  return conditions;
}

}  // namespace

AdaptersConfig parse_adapters_config(const nlohmann::json& root) {
  AdaptersConfig config;
  for (const auto& entry : root.at("adapters")) {
    AdapterConfig adapter;
    adapter.index = parse_index(entry.at("index"));
    if (adapter.index < 1 || adapter.index >= kAdapterCount) {
      throw std::runtime_error("adapter index out of range: " + std::to_string(adapter.index));
    }
    std::string interface = entry.value("interface", "host");
    adapter.interface = interface == "host" ? "" : interface;
    adapter.hardware_stack = parse_hardware_stack(entry);
    adapter.dns = entry.value("dns", std::vector<std::string>{});
    if (entry.contains("simulate")) {
      adapter.simulate = parse_simulation(entry["simulate"], adapter.index, adapter.hardware_stack);
    }
    for (const auto& change : entry.value("schedule", nlohmann::json::array())) {
      adapter.schedule.push_back(
          {std::chrono::milliseconds(change.value("at_ms", 0)), change.at("link").get<std::string>() != "down"});
    }
    if (!adapter.schedule.empty() && !adapter.simulate) adapter.simulate = LinkConditions{};
    config.adapters.push_back(std::move(adapter));
  }
  if (root.contains("default")) config.default_index = parse_index(root["default"]);
  return config;
}

nlohmann::json read_json_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot read adapters config " + path);
  try {
    return nlohmann::json::parse(file);
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(path + ": " + error.what());
  }
}

AdaptersConfig load_adapters_config(const std::string& path) {
  auto root = read_json_file(path);
  try {
    return parse_adapters_config(root);
  } catch (const nlohmann::json::exception& error) {
    throw std::runtime_error(path + ": " + error.what());
  }
}

AdaptersConfig default_adapters_config() { return AdaptersConfig{{AdapterConfig{.index = kEth0}}, kEth0}; }

AdapterRegistry::AdapterRegistry(loop::EventLoop& loop) : loop_(loop) {}

AdapterRegistry::~AdapterRegistry() {
  if (netlink_watch_) loop::ReadinessPoller::of(loop_.io()).forget(*netlink_watch_);
  if (netlink_fd_ >= 0) ::close(netlink_fd_);
}

void AdapterRegistry::configure(const AdaptersConfig& config) {
  for (const auto& entry : config.adapters) {
    adapters_.at(static_cast<std::size_t>(entry.index)) = std::make_unique<Adapter>(loop_.io(), entry);
    last_registered_ = entry.index;
  }
  default_index_ = config.default_index.value_or(last_registered_);
}

Adapter* AdapterRegistry::find(int index) {
  if (index < 0 || index >= kAdapterCount) return nullptr;
  return adapters_.at(static_cast<std::size_t>(index)).get();
}

void AdapterRegistry::after(std::chrono::milliseconds delay, std::function<void()> action) {
  auto& step = pending_steps_.emplace_back(loop_.io(), delay);
  auto position = std::prev(pending_steps_.end());
  step.timer.async_wait([this, position, action = std::move(action)](const std::error_code& error) {
    if (error) return;
    pending_steps_.erase(position);
    action();
  });
}

void AdapterRegistry::post_link_message(const Adapter& adapter, bool ready) {
  loop_.bus().post(loop::Message{.a = adapter.index(),
                                 .b = ready ? 1 : 0,
                                 .text = ready ? adapter.address()->ip : std::string(),
                                 .handler = link_message_handler_});
}

void AdapterRegistry::start() {
  for (const auto& adapter : adapters_) {
    if (!adapter) continue;
    auto delay =
        adapter->simulator().enabled() ? adapter->simulator().conditions().ready_delay : std::chrono::milliseconds(0);
    if (delay.count() > 0) {
      adapter->hold_back(true);
      adapter->refresh();
      after(delay, [this, raw = adapter.get()] {
        raw->hold_back(false);
        refresh_all();
      });
    }
    for (const auto& change : adapter->schedule()) {
      after(change.at, [this, index = adapter->index(), up = change.up] { set_link(index, up); });
    }
  }
  for (const auto& adapter : adapters_) {
    if (adapter && adapter->ready()) {
      post_link_message(*adapter, true);
    }
  }
  watch_links();
}

void AdapterRegistry::refresh_all() {
  for (const auto& adapter : adapters_) {
    if (!adapter || !adapter->refresh()) continue;
    bool up = adapter->ready();
    Logger::instance().log(LogLevel::Info, "adapter",
                           std::to_string(adapter->index()) + (up ? " link up" : " link down"));
    if (up) {
      post_link_message(*adapter, true);
    } else {
      post_link_message(*adapter, false);
    }
    if (link_listener_) link_listener_(adapter->index(), up);
  }
}

bool AdapterRegistry::set_link(int index, bool up) {
  Adapter* adapter = find(index);
  if (adapter == nullptr) return false;
  if (!adapter->simulator().enabled()) adapter->simulator().apply(LinkConditions{});
  adapter->simulator().set_link(up);
  refresh_all();
  return true;
}

bool AdapterRegistry::set_conditions(int index, const LinkConditions& conditions) {
  Adapter* adapter = find(index);
  if (adapter == nullptr) return false;
  adapter->simulator().apply(conditions);
  refresh_all();
  return true;
}

void AdapterRegistry::watch_links() {
  if (netlink_fd_ >= 0) return;
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    ::close(fd);
    return;
  }
  netlink_watch_ = loop::ReadinessPoller::of(loop_.io()).watch(fd, *this);
  if (!netlink_watch_) {
    ::close(fd);
    return;
  }
  netlink_fd_ = fd;
}

void AdapterRegistry::on_ready(std::uint32_t /*epoll_events*/) {
  // Edge-triggered: read every pending notification; their content does not matter, a re-read does.
  char drain[8192];
  while (recv(netlink_fd_, drain, sizeof drain, MSG_DONTWAIT) > 0) {
  }
  refresh_all();
}

}  // namespace luatnet::adapter
