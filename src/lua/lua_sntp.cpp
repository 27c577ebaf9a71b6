// Lua bindings layer: the firmware's time sync functions in the `socket` table: socket.sntp (servers,
// adapter), socket.ntptm and socket.sntp_port, and the NTP_UPDATE / NTP_ERROR topics. The client itself
// (proto/sntp) owns the protocol; this file converts arguments and results and publishes the topics.
#include "adapter/adapter_index.hpp"
#include "common/device_clock.hpp"
#include "common/logger.hpp"
#include "lua/lua_host.hpp"
#include "lua/modules.hpp"
#include "proto/sntp/sntp_client.hpp"
#include "socket/socket_registry.hpp"

namespace luatnet::lua {
namespace {

namespace sntp = proto::sntp;

constexpr char kClientKey[] = "luatnet.sntp";

// Lives in the registry for the whole run, so the client goes when the Lua state closes.
struct SntpHolder {
  std::shared_ptr<sntp::Client> client;
};

sntp::Client& client(lua_State* L) { return *static_cast<SntpHolder*>(lua_touserdata(L, lua_upvalueindex(1)))->client; }

socket::SocketRegistry& sockets(lua_State* L) {
  return *static_cast<socket::SocketRegistry*>(lua_touserdata(L, lua_upvalueindex(2)));
}

void log_too_long(const char* name) {
  Logger::instance().log(LogLevel::Error, "sntp", std::string("server_addr too long ") + name);
}

// Slot `slot` takes the name at the top of the stack (a string, or a number as its text).
void take_server(lua_State* L, std::size_t slot) {
  const char* name = lua_tostring(L, -1);
  if (!client(L).set_server(slot, name)) log_too_long(name);
}

// socket.sntp(servers, adapter): servers is a name for the first slot or a list for the first slots (the
// other slots keep theirs, across calls too); a call while a sync runs only changes the slots.
int socket_sntp(lua_State* L) {
  int kind = lua_type(L, 1);
  if (kind == LUA_TSTRING || kind == LUA_TNUMBER) {
    lua_pushvalue(L, 1);
    lua_tostring(L, -1);
    if (lua_rawlen(L, -1) > sntp::kMaxServerName) {
      log_too_long(lua_tostring(L, -1));
      return 0;  // as the firmware: no sync at all
    }
    take_server(L, 0);
    lua_pop(L, 1);
  } else if (kind == LUA_TTABLE) {
    auto count = std::min<std::size_t>(lua_rawlen(L, 1), sntp::kServerSlots);
    for (std::size_t i = 1; i <= count; ++i) {
      lua_geti(L, 1, static_cast<lua_Integer>(i));
      int entry = lua_type(L, -1);
      if (entry != LUA_TSTRING && entry != LUA_TNUMBER) {
        return luaL_error(L, "socket.sntp: server %d must be a string, got %s", static_cast<int>(i),
                          luaL_typename(L, -1));
      }
      take_server(L, i - 1);
      lua_pop(L, 1);
    }
  }
  if (client(L).running()) {
    Logger::instance().log(LogLevel::Info, "sntp", "sntp is running");
    return 0;
  }
  auto& registry = sockets(L);
  lua_Integer adapter = opt_integer(L, 2, registry.adapters().default_index());
  if (adapter == -1) adapter = registry.adapters().default_index();
  client(L).start(adapter >= 0 && adapter < adapter::kAdapterCount ? static_cast<int>(adapter) : -1);
  return 0;
}

void set_integer(lua_State* L, const char* field, std::int64_t value) {
  lua_pushinteger(L, value);
  lua_setfield(L, -2, field);
}

// socket.ntptm(): the synced time from the uptime counter, with the bookkeeping behind it.
int socket_ntptm(lua_State* L) {
  const auto& sync = client(L).sync();
  std::int64_t uptime = device_clock::uptime_ms();
  std::int64_t wall = sync.wall_ms(uptime);
  lua_createtable(L, 0, 8);
  set_integer(L, "ndelay", sync.network_delay_ms);
  set_integer(L, "ssec", sync.boot_seconds);
  set_integer(L, "sms", sync.boot_ms);
  set_integer(L, "tsec", wall / 1000);
  set_integer(L, "tms", wall % 1000);
  set_integer(L, "lsec", uptime / 1000);
  set_integer(L, "lms", uptime % 1000);
  if (sync.valid()) {
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, "vaild");  // the firmware's spelling, which scripts test
  }
  return 1;
}

// socket.sntp_port(port): sets the servers' port when given one in 1..65535; returns the port in use.
int socket_sntp_port(lua_State* L) {
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lua_Integer port = luaL_checkinteger(L, 1);
    if (port > 0 && port <= 65535) {
      client(L).set_port(static_cast<std::uint16_t>(port));
    } else {
      Logger::instance().log(LogLevel::Warn, "sntp", "port out of range: " + std::to_string(port));
    }
  }
  lua_pushinteger(L, client(L).port());
  return 1;
}

void publish(lua_State* L, sntp::Client::Result result) {
  if (lua_getglobal(L, "sys_pub") != LUA_TFUNCTION) {
    lua_pop(L, 1);
    return;
  }
  if (result == sntp::Client::Result::Updated) {
    lua_pushliteral(L, "NTP_UPDATE");
    lua_pushinteger(L, 0);  // 0: the time came from socket.sntp
    LuaHost::from(L).protected_call(L, 2);
  } else {
    lua_pushliteral(L, "NTP_ERROR");
    LuaHost::from(L).protected_call(L, 1);
  }
}

}  // namespace

void open_sntp(LuaHost& host, socket::SocketRegistry& registry) {
  lua_State* L = host.state();
  auto& holder = new_state_object<SntpHolder>(L, kClientKey);
  holder.client = sntp::Client::create(registry, host.loop().io(), [&host](sntp::Client::Result result) {
    host.post([result](lua_State* state) { publish(state, result); });
  });

  const luaL_Reg functions[] = {{"sntp", guarded<socket_sntp>},
                                {"ntptm", guarded<socket_ntptm>},
                                {"sntp_port", guarded<socket_sntp_port>},
                                {nullptr, nullptr}};
  lua_getglobal(L, "socket");
  lua_insert(L, -2);  // socket table below the holder
  lua_pushlightuserdata(L, &registry);
  luaL_setfuncs(L, functions, 2);
  lua_pop(L, 1);
}

}  // namespace luatnet::lua
