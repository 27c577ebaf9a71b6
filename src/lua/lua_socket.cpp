// Lua bindings layer: the `socket` module. It checks arguments, converts between Lua values and the
// socket layer's types and delivers socket and adapter events to scripts (callback, task mailbox or
// sys_pub). Every decision about the network is the SocketCtrl's.
#include <asio/ip/address.hpp>
#include <cstring>
#include <new>
#include <string>
#include <type_traits>

#include "adapter/adapter_index.hpp"
#include "common/logger.hpp"
#include "lua/lua_host.hpp"
#include "lua/lua_zbuff.hpp"
#include "lua/modules.hpp"
#include "socket/socket_registry.hpp"

namespace luatnet::lua {
namespace {

using socket::SocketCtrl;
using socket::SocketRegistry;

constexpr const char* kCtrlType = "NWCTRL*";                // also the sys_pub topic of ctrls with no receiver
constexpr const char* kLiveCtrls = "luatnet.socket.ctrls";  // registry: ctrl id -> userdata (weak values)
constexpr lua_Integer kMaxAccept = 8;
constexpr lua_Integer kMaxLocalPort = 60000;

// Trivially destructible on purpose: a finalizer may reach a collected ctrl, or run twice through the
// debug library, and must find a released ctrl, not freed C++ members. `ctrl` is the registry's object,
// kept so that the calls of every request find it without a hash lookup: the registry frees a ctrl only
// when this holder releases it (or after the Lua state is gone), so it is valid while `id` is not 0.
struct LuaCtrl {
  std::uint64_t id = 0;  // 0 once released
  SocketCtrl* ctrl = nullptr;
  int callback_ref = LUA_NOREF;
  int task_name_ref = LUA_NOREF;  // the task name string, kept in the registry
};
static_assert(std::is_trivially_destructible_v<LuaCtrl>);

int rx_cache_blocks = 32;  // the firmware's default

SocketRegistry& registry(lua_State* L) { return *static_cast<SocketRegistry*>(lua_touserdata(L, lua_upvalueindex(1))); }

// The ctrl in argument 1 while it is alive; nullptr for anything else (nil, released, other types):
// the functions then return nothing, as the firmware does.
SocketCtrl* live_ctrl(lua_State* L, LuaCtrl** holder = nullptr) {
  auto* ctrl = static_cast<LuaCtrl*>(test_userdata(L, 1, kCtrlType));
  if (ctrl == nullptr || ctrl->id == 0) return nullptr;
  if (holder != nullptr) *holder = ctrl;
  return ctrl->ctrl;
}

int push_result(lua_State* L, int result) {
  lua_pushboolean(L, result >= 0);
  lua_pushboolean(L, result == 0);
  return 2;
}

// The firmware's integer IPv4 form keeps the first octet in the lowest byte.
asio::ip::address ipv4_from_integer(lua_Integer value) {
  auto v = static_cast<std::uint32_t>(value);
  return asio::ip::address_v4((v & 0xff) << 24 | ((v >> 8) & 0xff) << 16 | ((v >> 16) & 0xff) << 8 | (v >> 24));
}

std::optional<asio::ip::address> optional_address(lua_State* L, int index) {
  if (lua_isinteger(L, index)) return ipv4_from_integer(lua_tointeger(L, index));
  if (lua_type(L, index) != LUA_TSTRING) return std::nullopt;
  return socket::parse_ip_literal(lua_tostring(L, index));
}

void push_address_bytes(lua_State* L, const asio::ip::address& address) {
  if (address.is_v4()) {
    auto bytes = address.to_v4().to_bytes();
    char packed[5] = {0};
    std::memcpy(packed + 1, bytes.data(), 4);
    lua_pushlstring(L, packed, sizeof packed);
  } else {
    auto bytes = address.to_v6().to_bytes();
    char packed[17] = {1};
    std::memcpy(packed + 1, bytes.data(), 16);
    lua_pushlstring(L, packed, sizeof packed);
  }
}

void set_receiver(lua_State* L, LuaCtrl& ctrl, int index) {
  if (lua_isfunction(L, index)) {
    lua_pushvalue(L, index);
    ctrl.callback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  } else if (lua_type(L, index) == LUA_TSTRING || lua_type(L, index) == LUA_TNUMBER) {
    lua_pushstring(L, lua_tostring(L, index));  // a number names its task by its text
    ctrl.task_name_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
}

void check_receiver(lua_State* L, int index) {
  int type = lua_type(L, index);
  if (type != LUA_TNONE && type != LUA_TNIL && type != LUA_TFUNCTION && type != LUA_TSTRING && type != LUA_TNUMBER) {
    luaL_argerror(L, index, "callback function or task name expected");
  }
}

// Wraps `ctrl` in a new userdata (left on the stack) and remembers it for event delivery.
LuaCtrl& push_ctrl(lua_State* L, SocketCtrl& ctrl, int receiver_index) {
  auto* holder = new_typed_userdata<LuaCtrl>(L, kCtrlType);
  holder->id = ctrl.id();
  holder->ctrl = &ctrl;
  luaL_setmetatable(L, kCtrlType);
  set_receiver(L, *holder, receiver_index);
  lua_getfield(L, LUA_REGISTRYINDEX, kLiveCtrls);
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, static_cast<lua_Integer>(ctrl.id()));
  lua_pop(L, 1);
  return *holder;
}

int socket_create(lua_State* L) {
  auto& sockets = registry(L);
  lua_Integer adapter = opt_integer(L, 1, sockets.adapters().default_index());
  check_receiver(L, 2);
  SocketCtrl* ctrl =
      adapter >= 0 && adapter < adapter::kAdapterCount ? sockets.create(static_cast<int>(adapter)) : nullptr;
  if (ctrl == nullptr) {
    lua_pushnil(L);
    return 1;
  }
  push_ctrl(L, *ctrl, 2);
  return 1;
}

int socket_debug(lua_State* L) {
  if (SocketCtrl* ctrl = live_ctrl(L); ctrl != nullptr && lua_isboolean(L, 2)) ctrl->set_debug(lua_toboolean(L, 2));
  return 0;
}

lua_Integer check_range(lua_State* L, int index, lua_Integer low, lua_Integer high, const char* message) {
  lua_Integer value = opt_integer(L, index, 0);
  luaL_argcheck(L, value >= low && value <= high, index, message);
  return value;
}

int socket_config(lua_State* L) {
  SocketCtrl* ctrl = live_ctrl(L);
  if (ctrl == nullptr) return 0;
  // Every argument is checked before any C++ object exists: a failed check raises a Lua error.
  auto local_port = static_cast<std::uint16_t>(check_range(L, 2, 0, kMaxLocalPort - 1, "local port must be 0..59999"));
  bool udp = lua_isboolean(L, 3) && lua_toboolean(L, 3);
  bool tls = lua_isboolean(L, 4) && lua_toboolean(L, 4);
  int idle = static_cast<int>(check_range(L, 5, 0, 0x7fffffff, "keep_idle must be a non-negative number of seconds"));
  int interval = static_cast<int>(check_range(L, 6, 0, 0x7fffffff, "keep_interval must be non-negative"));
  int count = static_cast<int>(check_range(L, 7, 0, 0x7fffffff, "keep_cnt must be non-negative"));
  for (int index = 8; index <= 11; ++index) {
    if (!lua_isnoneornil(L, index)) luaL_checkstring(L, index);
  }
  std::optional<std::string> tls_arguments[4];
  for (int index = 8; index <= 11; ++index) {
    size_t length = 0;
    if (const char* text = lua_tolstring(L, index, &length)) tls_arguments[index - 8] = std::string(text, length);
  }
  socket::SocketOptions options;
  options.local_port = local_port;
  if (tls) {
    std::string error;
    options.tls =
        tls::make_credentials(udp, tls_arguments[0], tls_arguments[1], tls_arguments[2], tls_arguments[3], error);
    if (!options.tls) {
      Logger::instance().log(LogLevel::Error, "socket", "config: " + error);
      lua_pushboolean(L, 0);
      return 1;
    }
  }
  options.tcp = !udp;
  options.keep_alive = {idle > 0, idle, interval, count};
  ctrl->configure(options);
  lua_pushboolean(L, 1);
  return 1;
}

// linkup, discon and wait take only the ctrl and answer (ok, done).
template <int (SocketCtrl::*Call)()>
int ctrl_call(lua_State* L) {
  SocketCtrl* ctrl = live_ctrl(L);
  return ctrl == nullptr ? 0 : push_result(L, (ctrl->*Call)());
}

int socket_connect(lua_State* L) {
  SocketCtrl* ctrl = live_ctrl(L);
  if (ctrl == nullptr) return 0;
  if (!lua_isinteger(L, 2) && lua_type(L, 2) != LUA_TSTRING) {
    return luaL_argerror(L, 2, "host name, IP text or integer IPv4 expected");
  }
  lua_Integer port = luaL_checkinteger(L, 3);
  // Port 0 is the firmware's "resolve only" (a name) and its UDP server idiom (any sender).
  luaL_argcheck(L, port >= 0 && port <= 65535, 3, "port must be 0..65535");
  bool ipv6 = lua_isboolean(L, 4) && lua_toboolean(L, 4);
  // The arguments are checked: C++ objects may live from here on.
  std::optional<asio::ip::address> address;
  if (lua_isinteger(L, 2)) address = ipv4_from_integer(lua_tointeger(L, 2));
  std::string host = address ? address->to_string() : std::string(lua_tostring(L, 2));
  return push_result(L, ctrl->connect(host, address, static_cast<std::uint16_t>(port), ipv6));
}

int socket_close(lua_State* L) {
  if (SocketCtrl* ctrl = live_ctrl(L)) ctrl->force_close();
  return 0;
}

int socket_tx(lua_State* L) {
  SocketCtrl* ctrl = live_ctrl(L);
  if (ctrl == nullptr) return 0;
  std::span<const std::uint8_t> data;
  if (lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER) {  // a number goes as its text
    size_t length = 0;
    const char* text = lua_tolstring(L, 2, &length);
    data = {reinterpret_cast<const std::uint8_t*>(text), length};
  } else if (buffer::ZBuff* buff = test_zbuff(L, 2)) {
    data = buff->used_view();
  } else {
    return luaL_argerror(L, 2, "string or zbuff expected");
  }
  std::optional<socket::Endpoint> to;
  if (auto address = optional_address(L, 3)) {
    lua_Integer port = opt_integer(L, 4, 0);
    luaL_argcheck(L, port >= 0 && port <= 65535, 4, "port must be 0..65535");
    to = socket::Endpoint{*address, static_cast<std::uint16_t>(port)};
  }
  auto [result, accepted] = ctrl->tx(data, to ? &*to : nullptr);
  lua_pushboolean(L, result >= 0);
  lua_pushboolean(L, accepted != data.size());
  lua_pushboolean(L, result == 0);
  return 3;
}

int push_peer(lua_State* L, SocketCtrl& ctrl, const socket::Endpoint& from) {
  if (ctrl.is_tcp()) {
    lua_pushnil(L);
    lua_pushnil(L);
  } else {
    push_address_bytes(L, from.address);
    lua_pushinteger(L, from.port);
  }
  return 2;
}

// rx's first two answers: true and a count, or false, 0 when nothing can be read.
int push_rx_count(lua_State* L, std::optional<std::size_t> count) {
  lua_pushboolean(L, count.has_value());
  lua_pushinteger(L, static_cast<lua_Integer>(count.value_or(0)));
  return 2;
}

// All that is waiting, or `limit` bytes of it, appended to `buff` (grown as needed). A stream without a
// limit is read into the room the zbuff already has first, so a message that fits costs one recv and no
// question about its size; datagrams and limited reads are sized first (a short buffer would cut them).
std::optional<std::size_t> receive_into(SocketCtrl& ctrl, buffer::ZBuff& buff, std::optional<std::size_t> limit,
                                        socket::Endpoint& from) {
  std::size_t got = 0;
  std::size_t room = buff.length() - buff.used();
  if (ctrl.is_tcp() && !limit && room > 0) {
    auto taken = ctrl.rx(buff.prepare(room), &from);
    if (!taken) return taken;
    buff.commit(*taken);
    if (*taken < room) return taken;
    got = *taken;
  }
  auto total = ctrl.pending_rx();
  if (!total || *total == 0) return got > 0 ? std::optional<std::size_t>(got) : total;
  auto taken = ctrl.rx(buff.prepare(std::min(*total, limit.value_or(*total))), &from);
  if (!taken) return got > 0 ? std::optional<std::size_t>(got) : taken;
  buff.commit(*taken);
  return got + *taken;
}

int socket_rx(lua_State* L) {
  SocketCtrl* ctrl = live_ctrl(L);
  if (ctrl == nullptr) return 0;
  if (!lua_isuserdata(L, 2)) return push_rx_count(L, ctrl->pending_rx());
  buffer::ZBuff* buff = check_zbuff(L, 2);
  std::optional<std::size_t> limit;
  if (lua_gettop(L) >= 4 && lua_isinteger(L, 4) && lua_tointeger(L, 4) >= 0) {
    limit = static_cast<std::size_t>(lua_tointeger(L, 4));
  }
  socket::Endpoint from;
  auto got = receive_into(*ctrl, *buff, limit, from);
  push_rx_count(L, got);
  if (!got || *got == 0) return 2;
  return 2 + push_peer(L, *ctrl, from);
}

int socket_read(lua_State* L) {
  SocketCtrl* ctrl = live_ctrl(L);
  if (ctrl == nullptr) return 0;
  auto total = ctrl->pending_rx();
  if (!total) {
    lua_pushboolean(L, 0);
    return 1;
  }
  std::size_t wanted = *total;
  if (lua_isinteger(L, 2) && lua_tointeger(L, 2) > 0) {
    wanted = std::min(wanted, static_cast<std::size_t>(lua_tointeger(L, 2)));
  }
  if (wanted == 0) {
    lua_pushboolean(L, 1);
    lua_pushliteral(L, "");
    return 2;
  }
  luaL_Buffer text;
  char* room = luaL_buffinitsize(L, &text, wanted);
  socket::Endpoint from;
  auto got = ctrl->rx({reinterpret_cast<std::uint8_t*>(room), wanted}, &from);
  if (!got) {
    lua_pushboolean(L, 0);
    return 1;
  }
  luaL_pushresultsize(&text, *got);
  lua_pushboolean(L, 1);
  lua_insert(L, -2);
  if (ctrl->is_tcp() || *got == 0) return 2;
  return 2 + push_peer(L, *ctrl, from);
}

int socket_listen(lua_State* L) {
  SocketCtrl* ctrl = live_ctrl(L);
  if (ctrl == nullptr) return 0;
  lua_Integer max_accept = 0;
  // Only a Lua integer sets the count, as in the firmware: listen(ctrl, 8.0) stays single-client.
  if (lua_isinteger(L, 2)) {
    max_accept = lua_tointeger(L, 2);
    luaL_argcheck(L, max_accept >= 0 && max_accept <= kMaxAccept, 2, "max_accept must be 0..8");
    if (max_accept > 0 && !ctrl->adapter_accepts_many()) {
      Logger::instance().log(LogLevel::Error, "socket",
                             "adapter " + std::to_string(ctrl->adapter_index()) + " cannot serve several clients");
      lua_pushboolean(L, 0);
      lua_pushboolean(L, 0);
      return 2;
    }
  }
  int result = ctrl->listen(static_cast<std::size_t>(max_accept));
  if (result < 0) {
    Logger::instance().log(LogLevel::Error, "socket",
                           "listen failed on adapter " + std::to_string(ctrl->adapter_index()));
  }
  return push_result(L, result);
}

int push_peer_text(lua_State* L, const std::optional<socket::Endpoint>& peer) {
  if (peer) {
    lua_pushstring(L, peer->address.to_string().c_str());
    lua_pushinteger(L, peer->port);
  } else {
    lua_pushnil(L);
    lua_pushnil(L);
  }
  return 2;
}

int socket_accept(lua_State* L) {
  SocketCtrl* server = live_ctrl(L);
  if (server == nullptr) return 0;
  bool wants_new_ctrl = lua_isfunction(L, 2) || lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER;
  if (!wants_new_ctrl || !server->adapter_accepts_many()) {
    lua_pushboolean(L, 1);
    lua_pushnil(L);
    // lwIP's address of a connection not made yet prints as 0.0.0.0, port 0.
    return 2 + push_peer_text(L, server->peer().value_or(socket::Endpoint{asio::ip::address_v4::any(), 0}));
  }
  auto& sockets = registry(L);
  SocketCtrl* client = sockets.create(server->adapter_index());
  if (client == nullptr || !server->accept_into(*client)) {
    if (client != nullptr) sockets.release(client->id());
    lua_pushboolean(L, 0);
    lua_pushnil(L);
    return 2;
  }
  lua_pushboolean(L, 1);
  push_ctrl(L, *client, 2);
  return 2 + push_peer_text(L, client->peer());
}

int socket_state(lua_State* L) {
  SocketCtrl* ctrl = live_ctrl(L);
  if (ctrl == nullptr) return 0;
  lua_pushinteger(L, static_cast<lua_Integer>(ctrl->state()));
  lua_pushstring(L, socket::state_description(ctrl->state()));
  return 2;
}

// release and __gc: close the socket, free the ctrl, drop the callback reference.
int socket_release(lua_State* L) {
  auto* holder = static_cast<LuaCtrl*>(test_userdata(L, 1, kCtrlType));
  if (holder == nullptr || holder->id == 0) return 0;
  registry(L).release(holder->id);
  lua_getfield(L, LUA_REGISTRYINDEX, kLiveCtrls);
  lua_pushnil(L);
  lua_rawseti(L, -2, static_cast<lua_Integer>(holder->id));
  lua_pop(L, 1);
  luaL_unref(L, LUA_REGISTRYINDEX, holder->callback_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, holder->task_name_ref);
  holder->callback_ref = LUA_NOREF;
  holder->task_name_ref = LUA_NOREF;
  holder->id = 0;
  holder->ctrl = nullptr;
  return 0;
}

int socket_tostring(lua_State* L) {
  auto* holder = static_cast<LuaCtrl*>(check_userdata(L, 1, kCtrlType, kCtrlType));
  lua_pushfstring(L, "NWCTRL*: %p (id %d%s)", static_cast<void*>(holder), static_cast<int>(holder->id),
                  holder->id == 0 ? ", released" : "");
  return 1;
}

adapter::Adapter* adapter_argument(lua_State* L, int index) {
  auto& sockets = registry(L);
  lua_Integer chosen = opt_integer(L, index, sockets.adapters().default_index());
  return sockets.adapters().find(static_cast<int>(chosen));
}

int socket_set_dns(lua_State* L) {
  adapter::Adapter* adapter = adapter_argument(L, 1);
  lua_Integer slot = opt_integer(L, 2, 1);
  if (!lua_isinteger(L, 3)) luaL_checkstring(L, 3);
  std::string server = lua_isinteger(L, 3) ? ipv4_from_integer(lua_tointeger(L, 3)).to_string() : lua_tostring(L, 3);
  if (adapter == nullptr) {
    lua_pushboolean(L, 0);
    return 1;
  }
  if (slot < 1 || !adapter->resolver().set_server(static_cast<std::size_t>(slot - 1), server)) {
    Logger::instance().log(LogLevel::Warn, "socket", "setDNS ignored: " + server + " for slot " + std::to_string(slot));
  }
  lua_pushboolean(L, 1);
  return 1;
}

int socket_ssl_log(lua_State* L) {
  lua_Integer level = opt_integer(L, 1, 1);
  luaL_argcheck(L, level >= 0 && level <= 4, 1, "level must be 0..4");
  tls::TlsContext::set_debug_level(static_cast<int>(level));
  return 0;
}

int socket_local_ip(lua_State* L) {
  adapter::Adapter* adapter = adapter_argument(L, 1);
  if (adapter == nullptr || !adapter->ready()) return 0;
  const auto& address = *adapter->address();
  lua_pushstring(L, address.ip.c_str());
  lua_pushstring(L, address.mask.c_str());
  lua_pushstring(L, address.gateway.c_str());
  if (address.ipv6.empty()) {
    lua_pushnil(L);
  } else {
    lua_pushstring(L, address.ipv6.c_str());
  }
  return 4;
}

int socket_remote_ip(lua_State* L) {
  SocketCtrl* ctrl = live_ctrl(L);
  for (std::size_t i = 0; i < socket::kMaxResolved; ++i) {
    if (ctrl != nullptr && i < ctrl->resolved().size()) {
      lua_pushstring(L, ctrl->resolved()[i].to_string().c_str());
    } else {
      lua_pushnil(L);
    }
  }
  return static_cast<int>(socket::kMaxResolved);
}

int socket_adapter(lua_State* L) {
  auto& adapters = registry(L).adapters();
  lua_Integer index = opt_integer(L, 1, -1);
  if (index > 0 && index < adapter::kAdapterCount) {
    adapter::Adapter* adapter = adapters.find(static_cast<int>(index));
    lua_pushboolean(L, adapter != nullptr && adapter->ready());
    lua_pushinteger(L, index);
    return 2;
  }
  for (int i = 1; i < adapter::kAdapterCount; ++i) {
    adapter::Adapter* adapter = adapters.find(i);
    if (adapter != nullptr && adapter->ready()) {
      lua_pushboolean(L, 1);
      lua_pushinteger(L, i);
      return 2;
    }
  }
  lua_pushboolean(L, 0);
  lua_pushinteger(L, adapter::kAdapterCount - 1);
  return 2;
}

int socket_dft(lua_State* L) {
  auto& adapters = registry(L).adapters();
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lua_Integer index = luaL_checkinteger(L, 1);
    if (index >= 0 && index < adapter::kAdapterCount) adapters.set_default(static_cast<int>(index));
  }
  lua_pushinteger(L, adapters.default_index());
  lua_pushinteger(L, adapters.last_registered());
  return 2;
}

int socket_close_all(lua_State* L) {
  if (lua_type(L, 1) != LUA_TNUMBER) {
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_Integer index = luaL_checkinteger(L, 1);
  if (index < 0 || index >= adapter::kAdapterCount) {
    lua_pushboolean(L, 0);
    return 1;
  }
  registry(L).close_all(static_cast<int>(index));
  lua_pushboolean(L, 1);
  return 1;
}

int socket_rx_cache(lua_State* L) {
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lua_Integer blocks = luaL_checkinteger(L, 1);
    if (blocks >= 6 && blocks <= 48) rx_cache_blocks = static_cast<int>(blocks);
  }
  lua_pushinteger(L, rx_cache_blocks);
  return 1;
}

// Bus message -> script: cb(ctrl, event, param), sys_send(task, event, param) or
// sys_pub("NWCTRL*", adapter, ctrl id, event, param).
void deliver_socket_event(lua_State* L, const loop::Message& message) {
  int base = lua_gettop(L);
  lua_getfield(L, LUA_REGISTRYINDEX, kLiveCtrls);
  lua_rawgeti(L, -1, message.a);
  int ctrl_index = lua_gettop(L);
  auto* holder = static_cast<LuaCtrl*>(test_userdata(L, ctrl_index, kCtrlType));
  SocketCtrl* ctrl = holder != nullptr && holder->id != 0 ? holder->ctrl : nullptr;
  auto& host = LuaHost::from(L);
  if (ctrl == nullptr) {
    // Released or collected: nobody to tell.
  } else if (holder->callback_ref != LUA_NOREF) {
    // Pushed in call order, so that nothing on the stack moves per event.
    int handler = LuaHost::push_error_handler(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, holder->callback_ref);
    lua_pushvalue(L, ctrl_index);
    lua_pushinteger(L, message.b);
    lua_pushinteger(L, message.c);
    host.protected_call_with(L, 3, handler);
  } else if (holder->task_name_ref != LUA_NOREF) {
    // The ctrl leaves the stack first: the task may run right inside this call, and what it drops must
    // be collectable there as after a dispatch.
    int task_name_ref = holder->task_name_ref;
    lua_settop(L, base);
    send_to_task(L, task_name_ref, message.b, message.c);
  } else {
    int adapter_index = ctrl->adapter_index();
    lua_settop(L, base);  // the subscribers are told the ctrl's id, not given the ctrl
    int handler = LuaHost::push_error_handler(L);
    lua_getglobal(L, "sys_pub");
    lua_pushstring(L, kCtrlType);
    lua_pushinteger(L, adapter_index);
    lua_pushinteger(L, message.a);
    lua_pushinteger(L, message.b);
    lua_pushinteger(L, message.c);
    host.protected_call_with(L, 5, handler);
  }
  lua_settop(L, base);
}

void publish(lua_State* L, const char* topic, const loop::Message& message, bool with_ip) {
  lua_getglobal(L, "sys_pub");
  lua_pushstring(L, topic);
  int args = 2;
  if (with_ip) {
    lua_pushstring(L, message.text.c_str());
    ++args;
  }
  lua_pushinteger(L, message.a);
  LuaHost::from(L).protected_call(L, args);
}

}  // namespace

void open_socket(LuaHost& host, SocketRegistry& sockets) {
  lua_State* L = host.state();
  new_weak_registry_table(L, kLiveCtrls);

  const luaL_Reg methods[] = {
      {"__gc", guarded<socket_release>}, {"__tostring", guarded<socket_tostring>}, {nullptr, nullptr}};
  new_metatable(L, kCtrlType, kCtrlType);
  lua_pushlightuserdata(L, &sockets);
  luaL_setfuncs(L, methods, 1);
  lua_pushstring(L, kCtrlType);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);

  const luaL_Reg functions[] = {{"create", guarded<socket_create>},
                                {"debug", guarded<socket_debug>},
                                {"config", guarded<socket_config>},
                                {"linkup", guarded<ctrl_call<&SocketCtrl::link_up>>},
                                {"connect", guarded<socket_connect>},
                                {"discon", guarded<ctrl_call<&SocketCtrl::disconnect>>},
                                {"close", guarded<socket_close>},
                                {"tx", guarded<socket_tx>},
                                {"rx", guarded<socket_rx>},
                                {"read", guarded<socket_read>},
                                {"wait", guarded<ctrl_call<&SocketCtrl::wait>>},
                                {"listen", guarded<socket_listen>},
                                {"accept", guarded<socket_accept>},
                                {"state", guarded<socket_state>},
                                {"release", guarded<socket_release>},
                                {"setDNS", guarded<socket_set_dns>},
                                {"sslLog", guarded<socket_ssl_log>},
                                {"localIP", guarded<socket_local_ip>},
                                {"remoteIP", guarded<socket_remote_ip>},
                                {"adapter", guarded<socket_adapter>},
                                {"dft", guarded<socket_dft>},
                                {"close_all", guarded<socket_close_all>},
                                {"rx_cache", guarded<socket_rx_cache>},
                                {nullptr, nullptr}};
  lua_newtable(L);
  lua_pushlightuserdata(L, &sockets);
  luaL_setfuncs(L, functions, 1);
  for (const auto& entry : adapter::kAdapterNames) {
    lua_pushinteger(L, entry.index);
    lua_setfield(L, -2, std::string(entry.name).c_str());
  }
  const std::pair<const char*, int> events[] = {{"LINK", socket::kEventLink},
                                                {"ON_LINE", socket::kEventOnLine},
                                                {"TX_OK", socket::kEventTxOk},
                                                {"CLOSED", socket::kEventClosed},
                                                {"EVENT", socket::kEventEvent}};
  for (const auto& [name, value] : events) {
    lua_pushinteger(L, value);
    lua_setfield(L, -2, name);
  }
  lua_setglobal(L, "socket");

  sockets.set_event_handler(deliver_socket_event);
  sockets.adapters().set_link_message_handler([](lua_State* state, const loop::Message& message) {
    bool ready = message.b != 0;
    publish(state, ready ? "IP_READY" : "IP_LOSE", message, ready);
  });
}

}  // namespace luatnet::lua
