// Socket layer: owns every SocketCtrl and each adapter's Backend (made on the adapter's first ctrl),
// numbers the ctrls, enforces each backend's socket limit, forwards link changes from the adapters to the
// sockets on them, and turns their events into bus messages for Lua.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "adapter/adapter_registry.hpp"
#include "loop/event_loop.hpp"
#include "socket/socket_ctrl.hpp"

namespace luatnet::socket {

class SocketRegistry final : public EventSink {
 public:
  SocketRegistry(loop::EventLoop& loop, adapter::AdapterRegistry& adapters);
  ~SocketRegistry();
  SocketRegistry(const SocketRegistry&) = delete;
  SocketRegistry& operator=(const SocketRegistry&) = delete;

  // A new ctrl on `adapter_index`; nullptr when the adapter is absent or has no socket left. Its events go
  // to `sink` when given (a protocol module's connection), else onto the bus for the socket binding.
  SocketCtrl* create(int adapter_index, EventSink* sink = nullptr);
  SocketCtrl* find(std::uint64_t id);
  void release(std::uint64_t id);
  // Disconnects every ctrl on the adapter that has a socket open (socket.close_all).
  void close_all(int adapter_index);
  adapter::AdapterRegistry& adapters() { return adapters_; }
  // How the events of ctrls without a sink of their own reach Lua: a = ctrl id, b = event, c = param.
  void set_event_handler(loop::MessageHandler handler) { event_handler_ = std::move(handler); }

  void socket_event(std::uint64_t ctrl_id, int event, int param) override;

 private:
  loop::EventLoop& loop_;
  // The backend serving `adapter` (host sockets, behind its simulated link and stack limits).
  Backend& backend_for(adapter::Adapter& adapter);

  adapter::AdapterRegistry& adapters_;
  std::array<std::unique_ptr<Backend>, adapter::kAdapterCount> backends_;  // by adapter index
  std::unordered_map<std::uint64_t, std::unique_ptr<SocketCtrl>> ctrls_;
  std::uint64_t next_id_ = 1;
  loop::MessageHandler event_handler_;
};

}  // namespace luatnet::socket
