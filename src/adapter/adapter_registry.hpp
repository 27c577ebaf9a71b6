// Adapter layer: the table of adapters by firmware index, the default adapter, the adapters config file,
// and the watch on host links (netlink) that turns an interface going away or coming back into IP_LOSE /
// IP_READY messages on the bus and link events for the socket layer.
#pragma once

#include <array>
#include <functional>
#include <list>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapter/adapter.hpp"
#include "adapter/adapter_index.hpp"
#include "loop/activity.hpp"
#include "loop/event_loop.hpp"
#include "loop/readiness_poller.hpp"
#include "loop/timer.hpp"

namespace luatnet::adapter {

struct AdaptersConfig {
  std::vector<AdapterConfig> adapters;
  std::optional<int> default_index;
};

// Reads an adapters config (JSON); throws std::runtime_error with a readable message on mistakes.
AdaptersConfig load_adapters_config(const std::string& path);
// The same from parsed JSON (a device profile's adapters merged with the file's); throws on mistakes.
AdaptersConfig parse_adapters_config(const nlohmann::json& root);
// A JSON file, parsed; throws std::runtime_error naming the file on mistakes.
nlohmann::json read_json_file(const std::string& path);
// ETH0 on the host's default routing, as the LuatOS PC simulator registers it.
AdaptersConfig default_adapters_config();

class AdapterRegistry final : private loop::ReadyHandler {
 public:
  explicit AdapterRegistry(loop::EventLoop& loop);
  ~AdapterRegistry();
  AdapterRegistry(const AdapterRegistry&) = delete;
  AdapterRegistry& operator=(const AdapterRegistry&) = delete;

  void configure(const AdaptersConfig& config);
  loop::EventLoop& loop() { return loop_; }

  Adapter* find(int index);
  [[nodiscard]] int default_index() const { return default_index_; }
  void set_default(int index) { default_index_ = index; }
  [[nodiscard]] int last_registered() const { return last_registered_; }

  // Posts IP_READY for every ready adapter and starts watching host links.
  void start();

  // How IP_READY and IP_LOSE reach Lua: a = adapter index, b = 1 (ready, text = its address) or 0 (lost).
  void set_link_message_handler(loop::MessageHandler handler) { link_message_handler_ = std::move(handler); }

  using LinkListener = std::function<void(int adapter_index, bool up)>;
  void set_link_listener(LinkListener listener) { link_listener_ = std::move(listener); }

  // Re-reads every adapter; reports changes (also called by the link watch).
  void refresh_all();

  // Simulated links (netsim and the config's schedule): false when the adapter is not registered.
  bool set_link(int index, bool up);
  bool set_conditions(int index, const LinkConditions& conditions);
  // Runs `action` on the loop after `delay`; the run is not idle until then (a driver's pending step, a
  // scheduled link change, a start delay).
  void after(std::chrono::milliseconds delay, std::function<void()> action);

 private:
  void watch_links();
  void on_ready(std::uint32_t epoll_events) override;
  void post_link_message(const Adapter& adapter, bool ready);

  loop::EventLoop& loop_;
  std::array<std::unique_ptr<Adapter>, kAdapterCount> adapters_;
  int default_index_ = kEth0;
  int last_registered_ = kEth0;
  LinkListener link_listener_;
  loop::MessageHandler link_message_handler_;
  // The host's link and address changes (a netlink socket on the loop's poller); -1 when not watched.
  int netlink_fd_ = -1;
  std::optional<loop::ReadinessPoller::Watch> netlink_watch_;
  // What after() has scheduled, each step holding the loop active until it ran.
  struct PendingStep {
    PendingStep(asio::io_context& io, std::chrono::milliseconds delay) : timer(io, delay), active(io) { active.hold(); }
    loop::Timer timer;
    loop::ActiveHandle active;
  };
  std::list<PendingStep> pending_steps_;
};

}  // namespace luatnet::adapter
