#include "socket/socket_registry.hpp"

#include <algorithm>
#include <vector>

#include "common/logger.hpp"
#include "socket/hardware_stack.hpp"
#include "socket/host_backend.hpp"
#include "socket/simulated_link.hpp"

namespace luatnet::socket {

SocketRegistry::SocketRegistry(loop::EventLoop& loop, adapter::AdapterRegistry& adapters)
    : loop_(loop), adapters_(adapters) {
  adapters_.set_link_listener([this](int adapter_index, bool up) {
    // Copy the ids first: a handler may release or create ctrls.
    std::vector<std::uint64_t> ids;
    for (const auto& [id, ctrl] : ctrls_) {
      if (ctrl->adapter_index() == adapter_index) ids.push_back(id);
    }
    for (auto id : ids) {
      if (auto* ctrl = find(id)) ctrl->on_link(up);
    }
  });
}

SocketRegistry::~SocketRegistry() { adapters_.set_link_listener(nullptr); }

SocketCtrl* SocketRegistry::create(int adapter_index, EventSink* sink) {
  adapter::Adapter* adapter = adapters_.find(adapter_index);
  if (adapter == nullptr) return nullptr;
  Backend& backend = backend_for(*adapter);
  std::size_t limit = backend.max_sockets();
  if (limit != 0) {
    auto used = static_cast<std::size_t>(std::count_if(ctrls_.begin(), ctrls_.end(), [&](const auto& entry) {
      return entry.second->adapter_index() == adapter_index;
    }));
    if (used >= limit) {
      Logger::instance().log(LogLevel::Warn, "socket",
                             "adapter " + std::to_string(adapter_index) + " has no more sockets");
      return nullptr;
    }
  }
  std::uint64_t id = next_id_++;
  auto ctrl = std::make_unique<SocketCtrl>(id, adapter_index, backend, loop_.io(), sink != nullptr ? *sink : *this);
  SocketCtrl* raw = ctrl.get();
  ctrls_.emplace(id, std::move(ctrl));
  return raw;
}

Backend& SocketRegistry::backend_for(adapter::Adapter& adapter) {
  auto& backend = backends_.at(static_cast<std::size_t>(adapter.index()));
  if (backend) return *backend;
  std::unique_ptr<Backend> stack = std::make_unique<HostBackend>(loop_.io(), adapter);
  if (adapter.hardware_stack())
    stack = std::make_unique<HardwareStackBackend>(std::move(stack), *adapter.hardware_stack());
  // Every adapter's sockets go through its link simulator, which netsim may turn on at any time.
  backend = std::make_unique<SimulatedLinkBackend>(loop_.io(), std::move(stack), adapter.simulator());
  return *backend;
}

SocketCtrl* SocketRegistry::find(std::uint64_t id) {
  auto found = ctrls_.find(id);
  return found == ctrls_.end() ? nullptr : found->second.get();
}

void SocketRegistry::release(std::uint64_t id) { ctrls_.erase(id); }

void SocketRegistry::close_all(int adapter_index) {
  for (const auto& [id, ctrl] : ctrls_) {
    if (ctrl->adapter_index() == adapter_index && ctrl->has_open_socket()) ctrl->disconnect();
  }
}

void SocketRegistry::socket_event(std::uint64_t ctrl_id, int event, int param) {
  loop_.bus().post(
      loop::Message{.a = static_cast<std::int64_t>(ctrl_id), .b = event, .c = param, .handler = event_handler_});
}

}  // namespace luatnet::socket
