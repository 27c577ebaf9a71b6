// Lua bindings layer: the `mqtt` module (mqtt.create and the client object's methods). It checks arguments
// as the firmware's luat_lib_mqtt.c reads them, turns them into proto::mqtt::Client settings and calls, and
// delivers the client's events to the script's callback (and MQTT_PONG to sys_pub) through the bus. The
// MQTT protocol itself lives in src/proto/mqtt.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "adapter/adapter_index.hpp"
#include "common/logger.hpp"
#include "lua/lua_host.hpp"
#include "lua/lua_zbuff.hpp"
#include "lua/modules.hpp"
#include "proto/mqtt/mqtt_client.hpp"
#include "socket/socket_registry.hpp"

namespace luatnet::lua {
namespace {

using proto::mqtt::Client;
using proto::mqtt::Event;

constexpr const char* kClientType = "MQTTCTRL*";
// The firmware's buffers for the client id, user name and password (with their terminating zero).
constexpr std::size_t kClientIdLimit = 192;
constexpr std::size_t kUserNameLimit = 192;
constexpr std::size_t kPasswordLimit = 512;
constexpr std::size_t kHostLimit = 192;
constexpr lua_Integer kDefaultKeepAlive = 240;
constexpr lua_Integer kDefaultReconnectMs = 3000;
// rxSize bounds one packet; whatever a script asks, a broker cannot make one client hold more than this.
constexpr lua_Number kMaxReceiveBuffer = 1024 * 1024;

// What the module's functions share: a userdata, their upvalue.
struct Module {
  LuaHost& host;
  socket::SocketRegistry& sockets;
};

// What event delivery needs; shared with queued deliveries, which find it emptied once the client closed.
struct Delivery {
  int self_ref = LUA_NOREF;  // the firmware keeps every client alive until close()
  int callback_ref = LUA_NOREF;
};

struct LuaClient {
  std::shared_ptr<Client> client;
  std::shared_ptr<Delivery> delivery;
};

Module& module(lua_State* L) { return *static_cast<Module*>(lua_touserdata(L, lua_upvalueindex(1))); }

LuaClient& check_client(lua_State* L) {
  auto* holder = static_cast<LuaClient*>(test_userdata(L, 1, kClientType));
  if (holder == nullptr) luaL_argerror(L, 1, "mqtt client expected");
  return *holder;
}

// The client while it is usable (not closed).
Client* live_client(lua_State* L) {
  LuaClient& holder = check_client(L);
  return holder.client && !holder.client->closed() ? holder.client.get() : nullptr;
}

void log_error(const std::string& text) { Logger::instance().log(LogLevel::Error, "mqtt", text); }

void push_event(lua_State* L, const Event& event) {
  switch (event.kind) {
    case Event::Kind::ConnAck:
      lua_pushliteral(L, "conack");
      return;
    case Event::Kind::Received: {
      const auto& publish = *event.publish;
      lua_pushliteral(L, "recv");
      lua_pushlstring(L, publish.topic.data(), publish.topic.size());
      lua_pushlstring(L, publish.payload.data(), publish.payload.size());
      lua_createtable(L, 0, 4);
      lua_pushinteger(L, publish.packet_id);
      lua_setfield(L, -2, "message_id");
      lua_pushinteger(L, publish.qos);
      lua_setfield(L, -2, "qos");
      lua_pushinteger(L, publish.retain ? 1 : 0);
      lua_setfield(L, -2, "retain");
      lua_pushinteger(L, publish.dup ? 1 : 0);
      lua_setfield(L, -2, "dup");
      return;
    }
    case Event::Kind::Sent:
      lua_pushliteral(L, "sent");
      lua_pushinteger(L, event.code);
      return;
    case Event::Kind::SubAck:
      lua_pushliteral(L, "suback");
      lua_pushboolean(L, event.code <= 2);
      lua_pushinteger(L, event.code);
      return;
    case Event::Kind::UnsubAck:
      lua_pushliteral(L, "unsuback");
      return;
    case Event::Kind::Pong:
      lua_pushliteral(L, "pong");
      return;
    case Event::Kind::Disconnect:
      lua_pushliteral(L, "disconnect");
      lua_pushinteger(L, event.code);
      return;
    case Event::Kind::Close:
      lua_pushliteral(L, "close");
      return;
    case Event::Kind::Error:
      lua_pushliteral(L, "error");
      lua_pushstring(L, event.text.c_str());
      lua_pushinteger(L, event.code);
      return;
  }
}

// cb(client, event, ...) on the Lua thread; a pong is also published as MQTT_PONG(client).
void deliver(lua_State* L, const Delivery& delivery, const Event& event) {
  if (delivery.callback_ref == LUA_NOREF || delivery.self_ref == LUA_NOREF) return;
  auto& host = LuaHost::from(L);
  int base = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, delivery.callback_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, delivery.self_ref);
  push_event(L, event);
  host.protected_call(L, lua_gettop(L) - base - 1);
  if (event.kind == Event::Kind::Pong && delivery.self_ref != LUA_NOREF) {
    lua_getglobal(L, "sys_pub");
    lua_pushliteral(L, "MQTT_PONG");
    lua_rawgeti(L, LUA_REGISTRYINDEX, delivery.self_ref);
    host.protected_call(L, 2);
  }
}

// Reads a string field of the table at `table` when it is a string; the value stays on the stack.
const char* string_field(lua_State* L, int table, const char* name, std::size_t& length) {
  if (lua_getfield(L, table, name) == LUA_TSTRING) return lua_tolstring(L, -1, &length);
  return nullptr;
}

void check_optional_type(lua_State* L, int index, int allowed, const char* message) {
  int type = lua_type(L, index);
  if (type != LUA_TNONE && type != LUA_TNIL && type != allowed && type != LUA_TTABLE) luaL_argerror(L, index, message);
}

struct TlsArgument {
  const char* text = nullptr;
  std::size_t length = 0;
  [[nodiscard]] std::optional<std::string> value() const {
    return text != nullptr ? std::optional<std::string>(std::string(text, length)) : std::nullopt;
  }
};

int mqtt_create(lua_State* L) {
  Module& state = module(L);
  lua_Integer adapter = opt_integer(L, 1, state.sockets.adapters().default_index());
  bool numeric_host = lua_isinteger(L, 2);
  std::size_t host_length = 0;
  const char* host = numeric_host ? nullptr : luaL_checklstring(L, 2, &host_length);
  lua_Integer port = luaL_checkinteger(L, 3);
  luaL_argcheck(L, port >= 1 && port <= 65535, 3, "port must be 1..65535");
  check_optional_type(L, 4, LUA_TBOOLEAN, "boolean or table expected");
  check_optional_type(L, 5, LUA_TBOOLEAN, "boolean or table expected");

  bool tls = lua_toboolean(L, 4) != 0;
  lua_Integer verify = 2;
  TlsArgument server_cert, client_cert, client_key, client_password;
  if (lua_istable(L, 4)) {
    if (lua_getfield(L, 4, "verify") == LUA_TNUMBER) verify = static_cast<lua_Integer>(luaL_checknumber(L, -1));
    server_cert.text = string_field(L, 4, "server_cert", server_cert.length);
    client_cert.text = string_field(L, 4, "client_cert", client_cert.length);
    client_key.text = string_field(L, 4, "client_key", client_key.length);
    client_password.text = string_field(L, 4, "client_password", client_password.length);
  }
  bool ipv6 = lua_isboolean(L, 5) && lua_toboolean(L, 5);
  lua_Number receive_buffer = 0;
  lua_Number connect_timeout = 30;
  if (lua_istable(L, 5)) {
    if (lua_getfield(L, 5, "ipv6") == LUA_TBOOLEAN) ipv6 = lua_toboolean(L, -1);
    if (lua_getfield(L, 5, "rxSize") == LUA_TNUMBER) receive_buffer = luaL_checknumber(L, -1);
    if (lua_getfield(L, 5, "conn_timeout") == LUA_TNUMBER) {
      connect_timeout = std::min<lua_Number>(std::max<lua_Number>(luaL_checknumber(L, -1), 5), 120);
    }
  }

  const char* refusal = nullptr;
  if (adapter < 0 || adapter >= adapter::kAdapterCount ||
      state.sockets.adapters().find(static_cast<int>(adapter)) == nullptr) {
    refusal = "no such network adapter";
  } else if (numeric_host) {
    refusal = "the host must be a name or an address string";
  } else if (std::strncmp(host, "ws://", 5) == 0 || std::strncmp(host, "wss://", 6) == 0) {
    refusal = "MQTT over WebSocket is not supported by luatnet";
  } else if (host_length >= kHostLimit) {
    refusal = "host name too long";
  }
  if (refusal != nullptr) {
    log_error(refusal);
    lua_pushnil(L);
    return 1;
  }

  auto* holder = new_typed_userdata<LuaClient>(L, kClientType);
  luaL_setmetatable(L, kClientType);
  proto::mqtt::ClientSettings settings{.adapter_index = static_cast<int>(adapter),
                                       .host = std::string(host, host_length),
                                       .port = static_cast<std::uint16_t>(port),
                                       .prefer_ipv6 = ipv6,
                                       .connect_timeout = std::chrono::seconds(static_cast<int>(connect_timeout))};
  if (receive_buffer > 0) {
    settings.max_packet_size = static_cast<std::size_t>(std::min(receive_buffer, kMaxReceiveBuffer));
  }
  if (tls) {
    // verify 0 (none) and 1 (optional) connect whatever the certificate: the CA is then not used.
    std::optional<std::string> ca = verify >= 2 ? server_cert.value() : std::nullopt;
    std::string error;
    settings.tls =
        tls::make_credentials(false, ca, client_cert.value(), client_key.value(), client_password.value(), error);
    if (!settings.tls) {
      log_error("TLS settings refused: " + error);
      lua_pushnil(L);
      return 1;
    }
  }
  holder->delivery = std::make_shared<Delivery>();
  holder->client = Client::create(
      state.sockets, state.host.loop().io(), std::move(settings),
      [&host = state.host, delivery = holder->delivery](Event event) {
        host.post([delivery, event = std::move(event)](lua_State* state) { deliver(state, *delivery, event); });
      });
  lua_pushvalue(L, -1);
  holder->delivery->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 1;
}

std::string_view opt_text(lua_State* L, int index) {
  std::size_t length = 0;
  const char* text = luaL_optlstring(L, index, "", &length);
  return {text, length};
}

int mqtt_auth(lua_State* L) {
  Client* client = live_client(L);
  std::string_view client_id = opt_text(L, 2);
  std::string_view username = opt_text(L, 3);
  std::string_view password = opt_text(L, 4);
  bool clean_session = !(lua_isboolean(L, 5) && !lua_toboolean(L, 5));
  if (client == nullptr) return 0;
  const char* refusal = client_id.size() >= kClientIdLimit  ? "client_id too long"
                        : username.size() >= kUserNameLimit ? "username too long"
                        : password.size() >= kPasswordLimit ? "password too long"
                                                            : nullptr;
  if (refusal != nullptr) {
    log_error(refusal);
    return 0;
  }
  client->set_identity(std::string(client_id), std::string(username), std::string(password), clean_session);
  lua_pushboolean(L, 1);
  return 1;
}

int mqtt_keepalive(lua_State* L) {
  Client* client = live_client(L);
  lua_Integer seconds = std::min<lua_Integer>(std::max<lua_Integer>(opt_integer(L, 2, kDefaultKeepAlive), 15), 600);
  if (client != nullptr) client->set_keep_alive(std::chrono::seconds(seconds));
  return 0;
}

int mqtt_autoreconn(lua_State* L) {
  Client* client = live_client(L);
  lua_Integer delay =
      std::min<lua_Integer>(std::max<lua_Integer>(opt_integer(L, 3, kDefaultReconnectMs), 0), UINT32_MAX);
  if (client == nullptr) return 0;
  bool enabled = lua_isboolean(L, 2) ? lua_toboolean(L, 2) != 0 : client->auto_reconnect();
  if (enabled && delay < 1000) delay = 1000;
  client->set_auto_reconnect(enabled, std::chrono::milliseconds(delay));
  return 0;
}

int mqtt_on(lua_State* L) {
  LuaClient& holder = check_client(L);
  if (!holder.client || holder.client->closed()) return 0;
  luaL_unref(L, LUA_REGISTRYINDEX, holder.delivery->callback_ref);
  holder.delivery->callback_ref = LUA_NOREF;
  if (lua_isfunction(L, 2)) {
    lua_pushvalue(L, 2);
    holder.delivery->callback_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

int mqtt_connect(lua_State* L) {
  Client* client = live_client(L);
  lua_pushboolean(L, client != nullptr && client->connect());
  return 1;
}

int mqtt_will(lua_State* L) {
  Client* client = live_client(L);
  std::size_t topic_length = 0, payload_length = 0;
  const char* topic = luaL_checklstring(L, 2, &topic_length);
  const char* payload = luaL_checklstring(L, 3, &payload_length);
  lua_Integer qos = opt_integer(L, 4, 0);
  lua_Integer retain = opt_integer(L, 5, 0);
  luaL_argcheck(L, topic_length <= proto::mqtt::kMaxFieldLength, 2, "topic longer than 65535 bytes");
  luaL_argcheck(L, payload_length <= proto::mqtt::kMaxFieldLength, 3, "payload longer than 65535 bytes");
  if (client == nullptr) {
    lua_pushboolean(L, 0);
    return 1;
  }
  client->set_will(proto::mqtt::Will{.topic = std::string(topic, topic_length),
                                     .payload = std::string(payload, payload_length),
                                     .qos = static_cast<std::uint8_t>(qos >= 0 && qos <= 2 ? qos : 0),
                                     .retain = retain != 0});
  lua_pushboolean(L, 1);
  return 1;
}

int push_packet_id(lua_State* L, std::optional<std::uint16_t> id) {
  if (!id) return 0;
  lua_pushinteger(L, *id);
  return 1;
}

int mqtt_publish(lua_State* L) {
  Client* client = live_client(L);
  std::size_t topic_length = 0;
  const char* topic = luaL_checklstring(L, 2, &topic_length);
  const std::uint8_t* payload = nullptr;
  std::size_t payload_length = 0;
  if (lua_type(L, 3) == LUA_TSTRING || lua_type(L, 3) == LUA_TNUMBER) {
    payload = reinterpret_cast<const std::uint8_t*>(lua_tolstring(L, 3, &payload_length));
  } else if (buffer::ZBuff* zbuff = test_zbuff(L, 3)) {
    payload = zbuff->data();
    payload_length = zbuff->used();
  }
  lua_Integer qos = opt_integer(L, 4, 0);
  lua_Integer retain = opt_integer(L, 5, 0);
  luaL_argcheck(L, qos >= 0 && qos <= 2, 4, "qos must be 0, 1 or 2");
  luaL_argcheck(L, topic_length <= proto::mqtt::kMaxFieldLength, 2, "topic longer than 65535 bytes");
  if (client == nullptr) return 0;
  return push_packet_id(L, client->publish(std::string_view(topic, topic_length), std::span(payload, payload_length),
                                           static_cast<std::uint8_t>(qos), retain != 0));
}

// The firmware turns any QoS outside 0..2 into 0 for subscriptions.
std::uint8_t subscription_qos(lua_Integer qos) { return static_cast<std::uint8_t>(qos >= 0 && qos <= 2 ? qos : 0); }

int mqtt_subscribe(lua_State* L) {
  Client* client = live_client(L);
  int kind = lua_type(L, 2);
  luaL_argcheck(L, kind == LUA_TSTRING || kind == LUA_TNUMBER || kind == LUA_TTABLE, 2,
                "topic string or table expected");
  if (kind == LUA_TTABLE) {
    // Checked in full first (topic = qos pairs), then copied: no C++ object exists while checks can raise.
    lua_pushnil(L);
    while (lua_next(L, 2) != 0) {
      luaL_argcheck(L, lua_type(L, -2) == LUA_TSTRING, 2, "table of topic = qos expected");
      luaL_argcheck(L, lua_rawlen(L, -2) <= proto::mqtt::kMaxFieldLength, 2, "topic longer than 65535 bytes");
      luaL_argcheck(L, lua_isnil(L, -1) || lua_isinteger(L, -1), 2, "table of topic = qos expected");
      lua_pop(L, 1);
    }
  } else {
    luaL_argcheck(L, lua_rawlen(L, 2) <= proto::mqtt::kMaxFieldLength, 2, "topic longer than 65535 bytes");
    opt_integer(L, 3, 0);
  }
  if (client == nullptr) return 0;
  std::vector<proto::mqtt::Subscription> subscriptions;
  if (kind == LUA_TTABLE) {
    lua_pushnil(L);
    while (lua_next(L, 2) != 0) {
      subscriptions.push_back({lua_tostring(L, -2), subscription_qos(lua_isnil(L, -1) ? 0 : lua_tointeger(L, -1))});
      lua_pop(L, 1);
    }
    if (subscriptions.empty()) {
      lua_pushinteger(L, 0);  // nothing to send: the firmware answers 0
      return 1;
    }
  } else {
    subscriptions.push_back({lua_tostring(L, 2), subscription_qos(opt_integer(L, 3, 0))});
  }
  return push_packet_id(L, client->subscribe(subscriptions));
}

int mqtt_unsubscribe(lua_State* L) {
  Client* client = live_client(L);
  int kind = lua_type(L, 2);
  luaL_argcheck(L, kind == LUA_TSTRING || kind == LUA_TNUMBER || kind == LUA_TTABLE, 2,
                "topic string or table expected");
  lua_Integer count = kind == LUA_TTABLE ? static_cast<lua_Integer>(lua_rawlen(L, 2)) : 1;
  for (lua_Integer i = 1; kind == LUA_TTABLE && i <= count; ++i) {
    lua_rawgeti(L, 2, i);
    luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, 2, "list of topic strings expected");
    luaL_argcheck(L, lua_rawlen(L, -1) <= proto::mqtt::kMaxFieldLength, 2, "topic longer than 65535 bytes");
    lua_pop(L, 1);
  }
  if (kind != LUA_TTABLE) {
    luaL_argcheck(L, lua_rawlen(L, 2) <= proto::mqtt::kMaxFieldLength, 2, "topic longer than 65535 bytes");
  }
  if (client == nullptr) return 0;
  std::vector<std::string> topics;
  if (kind == LUA_TTABLE) {
    for (lua_Integer i = 1; i <= count; ++i) {
      lua_rawgeti(L, 2, i);
      topics.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    if (topics.empty()) {
      lua_pushinteger(L, 0);
      return 1;
    }
  } else {
    topics.emplace_back(lua_tostring(L, 2));
  }
  return push_packet_id(L, client->unsubscribe(topics));
}

int mqtt_disconnect(lua_State* L) {
  if (Client* client = live_client(L)) client->disconnect();
  lua_pushboolean(L, 1);
  return 1;
}

// close and __gc: the client goes quiet and lets go of its link; nothing more reaches the script.
int mqtt_close(lua_State* L) {
  LuaClient& holder = check_client(L);
  if (holder.client) holder.client->close();
  if (holder.delivery) {
    luaL_unref(L, LUA_REGISTRYINDEX, holder.delivery->callback_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, holder.delivery->self_ref);
    holder.delivery->callback_ref = LUA_NOREF;
    holder.delivery->self_ref = LUA_NOREF;
  }
  return 0;
}

int mqtt_gc(lua_State* L) {
  if (test_userdata(L, 1, kClientType) == nullptr) return 0;  // see finalize_typed_userdata
  mqtt_close(L);
  return finalize_typed_userdata<LuaClient>(L, kClientType);
}

int mqtt_ready(lua_State* L) {
  Client* client = live_client(L);
  lua_pushboolean(L, client != nullptr && client->state() == proto::mqtt::State::Ready);
  return 1;
}

int mqtt_state(lua_State* L) {
  Client* client = live_client(L);
  lua_pushinteger(L, client != nullptr ? static_cast<int>(client->state()) : 0);
  return 1;
}

int mqtt_debug(lua_State* L) {
  check_client(L);
  return 0;
}

int mqtt_tostring(lua_State* L) {
  auto* holder = static_cast<LuaClient*>(check_userdata(L, 1, kClientType, kClientType));
  lua_pushfstring(L, "MQTTCTRL*: %p", static_cast<void*>(holder));
  return 1;
}

}  // namespace

void open_mqtt(LuaHost& host, socket::SocketRegistry& sockets) {
  lua_State* L = host.state();
  // Nothing to finalize: the module holds two references.
  new (lua_newuserdata(L, sizeof(Module))) Module{.host = host, .sockets = sockets};
  int state_index = lua_gettop(L);

  const luaL_Reg functions[] = {{"create", guarded<mqtt_create>},
                                {"auth", guarded<mqtt_auth>},
                                {"keepalive", guarded<mqtt_keepalive>},
                                {"on", guarded<mqtt_on>},
                                {"connect", guarded<mqtt_connect>},
                                {"autoreconn", guarded<mqtt_autoreconn>},
                                {"publish", guarded<mqtt_publish>},
                                {"subscribe", guarded<mqtt_subscribe>},
                                {"unsubscribe", guarded<mqtt_unsubscribe>},
                                {"disconnect", guarded<mqtt_disconnect>},
                                {"close", guarded<mqtt_close>},
                                {"ready", guarded<mqtt_ready>},
                                {"will", guarded<mqtt_will>},
                                {"debug", guarded<mqtt_debug>},
                                {"state", guarded<mqtt_state>},
                                {nullptr, nullptr}};
  lua_newtable(L);
  lua_pushvalue(L, state_index);
  luaL_setfuncs(L, functions, 1);
  const std::pair<const char*, int> constants[] = {{"STATE_DISCONNECT", 0}, {"STATE_SCONNECT", 1}, {"STATE_MQTT", 2},
                                                   {"STATE_READY", 3},      {"VERIFY_NONE", 0},    {"VERIFY_OPTION", 1},
                                                   {"VERIFY_REQUIRED", 2}};
  for (const auto& [name, value] : constants) {
    lua_pushinteger(L, value);
    lua_setfield(L, -2, name);
  }

  const luaL_Reg methods[] = {{"__gc", guarded<mqtt_gc>}, {"__tostring", guarded<mqtt_tostring>}, {nullptr, nullptr}};
  new_metatable(L, kClientType, kClientType);
  lua_pushvalue(L, state_index);
  luaL_setfuncs(L, methods, 1);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "__index");  // client:method(...) finds the module's functions
  lua_pop(L, 1);
  lua_setglobal(L, "mqtt");
  lua_pop(L, 1);  // the module state (kept as upvalue)
}

}  // namespace luatnet::lua
