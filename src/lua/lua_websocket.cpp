// Lua bindings layer: the `websocket` module (websocket.create and the client object's methods, as the
// firmware's luat_lib_websocket.c names them). It checks arguments, turns them into a proto::websocket
// Client and delivers the client's events to the script's callback in bus order: conack (also published as
// WEBSOCKET_CONNACK), recv(data, fin, opcode), sent, error(kind, 0) and disconnect.
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "adapter/adapter_index.hpp"
#include "common/logger.hpp"
#include "lua/lua_host.hpp"
#include "lua/lua_zbuff.hpp"
#include "lua/modules.hpp"
#include "proto/websocket/client.hpp"
#include "socket/socket_registry.hpp"

namespace luatnet::lua {
namespace {

namespace ws = proto::websocket;

constexpr const char* kClientType = "WS*";
constexpr const char* kLiveClients = "luatnet.websocket.clients";  // registry: id -> userdata (weak values)
constexpr lua_Integer kDefaultKeepalive = 60;
constexpr lua_Integer kDefaultReconnectMs = 3000;

// What the module's functions share (an upvalue).
struct Module {
  socket::SocketRegistry& sockets;
  std::uint64_t next_id = 1;
};

struct LuaClient {
  std::uint64_t id = 0;
  std::shared_ptr<ws::Client> client;  // kept after close until collected, so that its close completes
  int callback_ref = LUA_NOREF;
  int self_ref = LUA_NOREF;  // the firmware keeps every client alive until close
};

Module& module(lua_State* L) { return *static_cast<Module*>(lua_touserdata(L, lua_upvalueindex(1))); }

void log(LogLevel level, const std::string& text) { Logger::instance().log(level, "websocket", text); }

// The client in argument 1 (the firmware crashes on anything else; here it is an argument error).
LuaClient& check_client(lua_State* L) {
  auto* holder = static_cast<LuaClient*>(test_userdata(L, 1, kClientType));
  if (holder == nullptr) luaL_argerror(L, 1, "websocket client expected");
  return *holder;
}

bool usable(const LuaClient& holder) { return holder.client && !holder.client->closed(); }

// Finds the live client `id`, pushes its callback and the client itself; false (nothing pushed) when the
// client is gone, closed or has no callback.
bool push_callback(lua_State* L, std::uint64_t id) {
  lua_getfield(L, LUA_REGISTRYINDEX, kLiveClients);
  lua_rawgeti(L, -1, static_cast<lua_Integer>(id));
  lua_remove(L, -2);
  auto* holder = static_cast<LuaClient*>(test_userdata(L, -1, kClientType));
  if (holder == nullptr || !usable(*holder) || holder->callback_ref == LUA_NOREF) {
    lua_pop(L, 1);
    return false;
  }
  lua_rawgeti(L, LUA_REGISTRYINDEX, holder->callback_ref);
  lua_insert(L, -2);
  return true;
}

// cb(client, event) for events without data.
void deliver_plain(lua_State* L, std::uint64_t id, const char* event) {
  if (!push_callback(L, id)) return;
  lua_pushstring(L, event);
  LuaHost::from(L).protected_call(L, 2);
}

void deliver_connack(lua_State* L, std::uint64_t id) {
  deliver_plain(L, id, "conack");
  lua_getfield(L, LUA_REGISTRYINDEX, kLiveClients);
  lua_rawgeti(L, -1, static_cast<lua_Integer>(id));
  lua_remove(L, -2);
  auto* holder = static_cast<LuaClient*>(test_userdata(L, -1, kClientType));
  if (holder == nullptr || !usable(*holder)) {
    lua_pop(L, 1);
    return;
  }
  lua_getglobal(L, "sys_pub");
  lua_pushliteral(L, "WEBSOCKET_CONNACK");
  lua_rotate(L, -3, -1);  // sys_pub, topic, client
  LuaHost::from(L).protected_call(L, 2);
}

ws::ClientHandlers handlers_for(LuaHost& host, std::uint64_t id) {
  return ws::ClientHandlers{
      .connack = [&host, id] { host.post([id](lua_State* L) { deliver_connack(L, id); }); },
      .frame =
          [&host, id](std::string_view payload, bool fin, int opcode) {
            host.post([id, data = std::string(payload), fin, opcode](lua_State* L) {
              if (!push_callback(L, id)) return;
              lua_pushliteral(L, "recv");
              lua_pushlstring(L, data.data(), data.size());
              lua_pushinteger(L, fin ? 1 : 0);
              lua_pushinteger(L, opcode);
              LuaHost::from(L).protected_call(L, 5);
            });
          },
      .sent = [&host, id] { host.post([id](lua_State* L) { deliver_plain(L, id, "sent"); }); },
      .error =
          [&host, id](ws::ErrorKind kind, int /*close_code: the firmware reports 0*/) {
            const char* name = kind == ws::ErrorKind::Connect ? "connect" : kind == ws::ErrorKind::Tx ? "tx" : "rx";
            host.post([id, name](lua_State* L) {
              if (!push_callback(L, id)) return;
              lua_pushliteral(L, "error");
              lua_pushstring(L, name);
              lua_pushinteger(L, 0);
              LuaHost::from(L).protected_call(L, 4);
            });
          },
      .disconnect = [&host, id] { host.post([id](lua_State* L) { deliver_plain(L, id, "disconnect"); }); }};
}

int websocket_create(lua_State* L) {
  Module& shared = module(L);
  lua_Integer adapter = opt_integer(L, 1, shared.sockets.adapters().default_index());
  std::size_t url_length = 0;
  const char* url_text = luaL_checklstring(L, 2, &url_length);
  lua_Integer keepalive = lua_isinteger(L, 3) ? lua_tointeger(L, 3) : kDefaultKeepalive;
  if (keepalive < 1 || keepalive > 65535) keepalive = kDefaultKeepalive;
  bool ipv6 = lua_type(L, 4) == LUA_TBOOLEAN && lua_toboolean(L, 4);
  if (adapter < 0 || adapter >= adapter::kAdapterCount ||
      shared.sockets.adapters().find(static_cast<int>(adapter)) == nullptr) {
    return 0;
  }
  // The arguments are checked: C++ objects may live from here on.
  auto url = ws::parse_url(std::string_view(url_text, url_length));
  if (!url) {
    log(LogLevel::Error, "create: not a ws:// or wss:// URL: " + std::string(url_text, url_length));
    return 0;
  }
  auto* holder = new_typed_userdata<LuaClient>(L, kClientType);
  luaL_setmetatable(L, kClientType);
  holder->id = shared.next_id++;
  holder->client = ws::Client::create(shared.sockets, LuaHost::from(L).loop().io(), std::move(*url),
                                      ws::ClientOptions{.adapter_index = static_cast<int>(adapter),
                                                        .prefer_ipv6 = ipv6,
                                                        .keepalive = std::chrono::seconds(keepalive)},
                                      handlers_for(LuaHost::from(L), holder->id));
  lua_getfield(L, LUA_REGISTRYINDEX, kLiveClients);
  lua_pushvalue(L, -2);
  lua_rawseti(L, -2, static_cast<lua_Integer>(holder->id));
  lua_pop(L, 1);
  lua_pushvalue(L, -1);
  holder->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 1;
}

int websocket_on(lua_State* L) {
  LuaClient& holder = check_client(L);
  luaL_unref(L, LUA_REGISTRYINDEX, holder.callback_ref);
  holder.callback_ref = LUA_NOREF;
  if (lua_isfunction(L, 2)) {
    lua_pushvalue(L, 2);
    holder.callback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

int websocket_connect(lua_State* L) {
  LuaClient& holder = check_client(L);
  lua_pushboolean(L, usable(holder) && holder.client->connect());
  return 1;
}

int websocket_autoreconn(lua_State* L) {
  LuaClient& holder = check_client(L);
  bool enabled = lua_toboolean(L, 2);
  lua_Integer delay = opt_integer(L, 3, kDefaultReconnectMs);
  if (usable(holder)) holder.client->set_reconnect(enabled, std::chrono::milliseconds(std::max<lua_Integer>(delay, 0)));
  return 0;
}

int websocket_send(lua_State* L) {
  LuaClient& holder = check_client(L);
  std::span<const std::uint8_t> payload;
  if (lua_isstring(L, 2)) {
    std::size_t length = 0;
    const char* text = lua_tolstring(L, 2, &length);
    payload = {reinterpret_cast<const std::uint8_t*>(text), length};
  } else if (buffer::ZBuff* buff = test_zbuff(L, 2)) {
    payload = buff->used_view();
  } else {
    log(LogLevel::Debug, "send: only string or zbuff");
    return 0;
  }
  // The firmware reads its third argument as the frame type: 1 binary, anything else text; FIN is always set.
  bool binary = lua_isinteger(L, 3) && lua_tointeger(L, 3) == 1;
  if (!usable(holder) || !holder.client->ready()) {
    log(LogLevel::Info, "not ready yet");
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_pushboolean(L, holder.client->send(payload, binary));
  return 1;
}

int websocket_close(lua_State* L) {
  LuaClient& holder = check_client(L);
  if (!usable(holder)) {
    log(LogLevel::Warn, "websocket already closed");
    return 0;
  }
  holder.client->close();
  luaL_unref(L, LUA_REGISTRYINDEX, holder.callback_ref);
  holder.callback_ref = LUA_NOREF;
  luaL_unref(L, LUA_REGISTRYINDEX, holder.self_ref);
  holder.self_ref = LUA_NOREF;
  return 0;
}

int websocket_ready(lua_State* L) {
  LuaClient& holder = check_client(L);
  lua_pushboolean(L, usable(holder) && holder.client->ready());
  return 1;
}

// Table: name = value pairs; string: whole header lines. true when taken; nothing when refused.
int websocket_headers(lua_State* L) {
  LuaClient& holder = check_client(L);
  if (!lua_istable(L, 2) && !lua_isstring(L, 2)) return 0;
  std::vector<std::pair<std::string, std::string>> pairs;
  std::optional<std::string> lines;
  if (lua_istable(L, 2)) {
    lua_pushnil(L);
    while (lua_next(L, 2) != 0) {
      // copies, so that converting a number key does not disturb lua_next
      lua_pushvalue(L, -2);
      bool texts = lua_isstring(L, -1) && lua_isstring(L, -2);
      if (texts) pairs.emplace_back(lua_tostring(L, -1), lua_tostring(L, -2));
      lua_pop(L, 2);
      if (!texts) {
        lua_pop(L, 1);
        pairs.clear();
        log(LogLevel::Warn, "headers: names and values must be strings");
        return 0;
      }
    }
    lines = ws::header_lines(pairs);
  } else {
    std::size_t length = 0;
    const char* text = lua_tolstring(L, 2, &length);
    lines = ws::raw_header_lines(std::string_view(text, length));
  }
  if (!lines) {
    log(LogLevel::Warn, "headers refused: empty, too large or with line breaks");
    return 0;
  }
  if (usable(holder)) holder.client->set_extra_headers(std::move(*lines));
  lua_pushboolean(L, 1);
  return 1;
}

int websocket_debug(lua_State* L) {
  check_client(L);
  return 0;  // the firmware's switch turns on its network ctrl's trace; luatnet's log has no such level
}

int websocket_gc(lua_State* L) { return finalize_typed_userdata<LuaClient>(L, kClientType); }

int websocket_tostring(lua_State* L) {
  auto* holder = static_cast<LuaClient*>(check_userdata(L, 1, kClientType, kClientType));
  lua_pushfstring(L, "websocket: %p%s", static_cast<void*>(holder), usable(*holder) ? "" : " (closed)");
  return 1;
}

}  // namespace

void open_websocket(LuaHost& host, socket::SocketRegistry& sockets) {
  lua_State* L = host.state();
  new_weak_registry_table(L, kLiveClients);

  // The module's state lives in a userdata that the functions hold as their upvalue; nothing to finalize.
  new (lua_newuserdata(L, sizeof(Module))) Module{.sockets = sockets};
  int state_index = lua_gettop(L);

  // As on the firmware, every function is both websocket.name and client:name.
  const luaL_Reg functions[] = {{"create", guarded<websocket_create>},   {"on", guarded<websocket_on>},
                                {"connect", guarded<websocket_connect>}, {"autoreconn", guarded<websocket_autoreconn>},
                                {"send", guarded<websocket_send>},       {"close", guarded<websocket_close>},
                                {"ready", guarded<websocket_ready>},     {"headers", guarded<websocket_headers>},
                                {"debug", guarded<websocket_debug>},     {nullptr, nullptr}};
  lua_newtable(L);
  lua_pushvalue(L, state_index);
  luaL_setfuncs(L, functions, 1);

  new_metatable(L, kClientType, kClientType);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "__index");
  const luaL_Reg methods[] = {
      {"__gc", guarded<websocket_gc>}, {"__tostring", guarded<websocket_tostring>}, {nullptr, nullptr}};
  luaL_setfuncs(L, methods, 0);
  lua_pop(L, 1);

  lua_setglobal(L, "websocket");
  lua_pop(L, 1);  // the module state (kept as upvalue)
}

}  // namespace luatnet::lua
