// Lua bindings layer: the `http` module. http.request checks its arguments as the firmware does, turns
// them into a proto::http::Request and options, starts a proto::http::Client and returns a waitable
// object; the client's progress (opts.callback) and its one result reach the script through the bus.
// No HTTP logic here: that is src/proto/http.
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <unordered_map>

#include "adapter/adapter_index.hpp"
#include "common/logger.hpp"
#include "fs/device_fs.hpp"
#include "lua/cwait.hpp"
#include "lua/lua_host.hpp"
#include "lua/lua_zbuff.hpp"
#include "lua/modules.hpp"
#include "proto/http/http_client.hpp"
#include "socket/socket_registry.hpp"
#include "tls/tls_context.hpp"

namespace luatnet::lua {
namespace {

namespace http = proto::http;

constexpr const char* kModuleType = "luatnet.http";
constexpr int kArgumentCount = 9;
constexpr int kCallbackSlot = kArgumentCount + 6;  // where read_options leaves opts.callback ...
constexpr int kUserdataSlot = kArgumentCount + 7;  // ... and opts.userdata
constexpr std::size_t kMaxMethodLength = 11;       // longer ones are refused, as on the firmware
constexpr lua_Integer kMinTimeout = 1000;          // below it (0 included) the default applies, as on the firmware
constexpr lua_Integer kMaxTimeout = 0x7fffffff;
constexpr std::chrono::milliseconds kDefaultTimeout{60 * 1000};
constexpr std::chrono::milliseconds kDefaultDownloadTimeout{5 * 60 * 1000};

// A request whose result has not reached the script yet.
struct Pending {
  std::shared_ptr<http::Client> client;
  int callback_ref = LUA_NOREF;
  int userdata_ref = LUA_NOREF;
  int zbuff_ref = LUA_NOREF;     // a zbuff body: the result is the body's length
  bool body_into_zbuff = false;  // not POST/PUT: the response body is appended to that zbuff
  bool download = false;
};

struct HttpModule {
  HttpModule(LuaHost& host, socket::SocketRegistry& sockets, const fs::DeviceFs& files)
      : host(host), sockets(sockets), files(files) {}
  LuaHost& host;
  socket::SocketRegistry& sockets;
  const fs::DeviceFs& files;
  std::unordered_map<std::uint64_t, Pending> pending;  // by waitable id
};
HttpModule& module_of(lua_State* L) { return *static_cast<HttpModule*>(lua_touserdata(L, lua_upvalueindex(1))); }

// `dst` is a device path, as for io.open: the --fs folder, never /luadb/ (read-only). A path that leaves
// the device's file system cannot be opened, which the request reports as a file error.
http::DownloadTarget download_target(const fs::DeviceFs& files, const std::string& path) {
  return http::DownloadTarget{.open = [&files, path]() -> std::FILE* {
                                try {
                                  return files.open(path, "w+b").file;
                                } catch (const fs::PathRefused&) {
                                  return nullptr;
                                }
                              },
                              .remove =
                                  [&files, path] {
                                    try {
                                      files.remove(path);
                                    } catch (const fs::PathRefused&) {
                                    }
                                  }};
}

// The script's opts table (argument 5), read before any C++ object exists (reading may raise). The values
// read stay on the stack for the rest of the call (dst points into one of them).
struct ScriptOptions {
  lua_Integer adapter = -1;
  lua_Integer timeout = 0;
  const char* dst = nullptr;
  size_t dst_length = 0;
  bool debug = false;
  bool ipv6 = false;
  bool has_callback = false;
};

ScriptOptions read_options(lua_State* L, lua_Integer default_adapter) {
  ScriptOptions options;
  options.adapter = default_adapter;
  if (!lua_istable(L, 5)) {
    lua_settop(L, kUserdataSlot);
    return options;
  }
  if (lua_getfield(L, 5, "adapter") == LUA_TNUMBER) options.adapter = luaL_checkinteger(L, -1);
  if (lua_getfield(L, 5, "timeout") == LUA_TNUMBER) options.timeout = luaL_checkinteger(L, -1);
  if (lua_getfield(L, 5, "dst") == LUA_TSTRING) options.dst = lua_tolstring(L, -1, &options.dst_length);
  if (lua_getfield(L, 5, "debug") == LUA_TBOOLEAN) options.debug = lua_toboolean(L, -1);
  if (lua_getfield(L, 5, "ipv6") == LUA_TBOOLEAN) options.ipv6 = lua_toboolean(L, -1);
  options.has_callback = lua_getfield(L, 5, "callback") == LUA_TFUNCTION;
  lua_getfield(L, 5, "userdata");
  return options;
}

std::optional<std::string> optional_string(lua_State* L, int index) {
  size_t length = 0;
  const char* text = lua_isstring(L, index) ? lua_tolstring(L, index, &length) : nullptr;
  return text != nullptr ? std::optional<std::string>(std::string(text, length)) : std::nullopt;
}

// Header names and values that are strings or numbers, in the table's order (others are skipped).
http::HeaderList read_headers(lua_State* L) {
  http::HeaderList headers;
  if (!lua_istable(L, 3)) return headers;
  lua_pushnil(L);
  while (lua_next(L, 3) != 0) {
    if (lua_isstring(L, -2) && lua_isstring(L, -1)) {
      lua_pushvalue(L, -2);  // a copy: converting the key itself in place would break lua_next
      headers.emplace_back(lua_tostring(L, -1), lua_tostring(L, -2));
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return headers;
}

int ref_slot(lua_State* L, int slot) {
  lua_pushvalue(L, slot);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

void release(lua_State* L, Pending& pending) {
  luaL_unref(L, LUA_REGISTRYINDEX, pending.callback_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, pending.userdata_ref);
  luaL_unref(L, LUA_REGISTRYINDEX, pending.zbuff_ref);
}

void deliver_progress(lua_State* L, HttpModule& module, std::uint64_t id, std::uint64_t announced,
                      std::uint64_t received) {
  auto found = module.pending.find(id);
  if (found == module.pending.end() || found->second.callback_ref == LUA_NOREF) return;
  lua_rawgeti(L, LUA_REGISTRYINDEX, found->second.callback_ref);
  lua_pushinteger(L, static_cast<lua_Integer>(announced));
  lua_pushinteger(L, static_cast<lua_Integer>(received));
  lua_rawgeti(L, LUA_REGISTRYINDEX, found->second.userdata_ref);
  module.host.protected_call(L, 3);
}

// code, headers, body on success (body: the text, or its length for downloads and zbuff bodies); only
// the code on failure.
void deliver_result(lua_State* L, HttpModule& module, std::uint64_t id, const http::Result& result) {
  auto found = module.pending.find(id);
  if (found == module.pending.end()) return;
  Pending pending = std::move(found->second);
  module.pending.erase(found);
  lua_pushinteger(L, result.code);
  int count = 1;
  if (result.code > 0) {
    lua_createtable(L, 0, static_cast<int>(result.headers.size()));
    for (const auto& [name, value] : result.headers) {
      lua_pushlstring(L, name.data(), name.size());
      lua_pushlstring(L, value.data(), value.size());
      lua_settable(L, -3);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, pending.zbuff_ref);
    buffer::ZBuff* zbuff = test_zbuff(L, -1);
    lua_pop(L, 1);
    if (zbuff != nullptr && pending.body_into_zbuff) {
      auto room = zbuff->prepare(result.body.size());
      std::memcpy(room.data(), result.body.data(), result.body.size());
      zbuff->commit(result.body.size());
    }
    if (pending.download || zbuff != nullptr) {
      lua_pushinteger(L, static_cast<lua_Integer>(result.body_length));
    } else {
      lua_pushlstring(L, result.body.data(), result.body.size());
    }
    count = 3;
  }
  release(L, pending);
  publish_waitable(L, id, count);
}

// Starts the request described by the checked arguments, for the waitable object `id`; false when it
// cannot start (the script then gets -4 at once, as from the firmware). Calls no Lua function.
bool start_request(lua_State* L, HttpModule& module, std::uint64_t id, std::string_view method, std::string_view url,
                   buffer::ZBuff* zbuff, const ScriptOptions& script) {
  if (method.size() > kMaxMethodLength || !http::method_supported(method)) return false;
  auto target = http::parse_url(url);
  if (!target || script.adapter < 0 || script.adapter >= adapter::kAdapterCount) return false;
  bool sends_body = method == "POST" || method == "PUT";

  http::Request request{.method = std::string(method), .target = *target, .headers = read_headers(L)};
  if (lua_isstring(L, 4)) {
    size_t length = 0;
    const char* text = lua_tolstring(L, 4, &length);
    request.body = std::string(text, length);
  } else if (zbuff != nullptr && sends_body) {
    auto bytes = zbuff->used_view();
    request.body = std::string(bytes.begin(), bytes.end());
  }

  http::ClientOptions options;
  options.connection.adapter_index = static_cast<int>(script.adapter);
  options.connection.prefer_ipv6 = script.ipv6;
  if (target->tls) {
    std::string error;
    // As the firmware: the server is verified when a CA or a client certificate is given.
    options.connection.tls = tls::make_credentials(false, optional_string(L, 6), optional_string(L, 7),
                                                   optional_string(L, 8), optional_string(L, 9), error);
    if (!options.connection.tls) {
      Logger::instance().log(LogLevel::Error, "http", error);
      return false;
    }
  }
  if (script.dst != nullptr)
    options.download = download_target(module.files, std::string(script.dst, script.dst_length));
  options.timeout = script.timeout >= kMinTimeout ? std::chrono::milliseconds(script.timeout)
                    : options.download            ? kDefaultDownloadTimeout
                                                  : kDefaultTimeout;
  options.connection.connect_timeout = options.timeout;
  options.debug = script.debug;

  HttpModule* owner = &module;
  http::ClientHandlers handlers;
  if (script.has_callback) {
    handlers.progress = [owner, id](std::uint64_t announced, std::uint64_t received) {
      owner->host.post([owner, id, announced, received](lua_State* state) {
        deliver_progress(state, *owner, id, announced, received);
      });
    };
  }
  handlers.done = [owner, id](http::Result result) {
    owner->host.post(
        [owner, id, result = std::move(result)](lua_State* state) { deliver_result(state, *owner, id, result); });
  };
  auto client = http::Client::start(module.sockets, module.host.loop().io(), std::move(request), std::move(options),
                                    std::move(handlers));
  if (client == nullptr) return false;
  Pending& pending = module.pending[id];
  pending.client = std::move(client);
  pending.download = script.dst != nullptr;
  if (script.has_callback) {
    pending.callback_ref = ref_slot(L, kCallbackSlot);
    pending.userdata_ref = ref_slot(L, kUserdataSlot);
  }
  if (zbuff != nullptr) {
    pending.zbuff_ref = ref_slot(L, 4);
    pending.body_into_zbuff = !sends_body;
  }
  return true;
}

int http_request(lua_State* L) {
  HttpModule& module = module_of(L);
  lua_settop(L, kArgumentCount);  // the arguments at fixed places, what read_options reads above them
  // Every check that may raise comes first.
  size_t method_length = 0;
  size_t url_length = 0;
  const char* method = luaL_optlstring(L, 1, "GET", &method_length);
  const char* url = luaL_checklstring(L, 2, &url_length);
  buffer::ZBuff* zbuff = !lua_isstring(L, 4) && lua_isuserdata(L, 4) ? check_zbuff(L, 4) : nullptr;
  ScriptOptions script = read_options(L, module.sockets.adapters().default_index());
  script.timeout = std::min(script.timeout, kMaxTimeout);
  std::uint64_t id = push_waitable(L);
  if (!start_request(L, module, id, {method, method_length}, {url, url_length}, zbuff, script)) {
    lua_pop(L, 1);
    lua_pushinteger(L, http::kErrorConnect);
    push_ready_waitable(L, 1);
  }
  return 1;
}

int module_gc(lua_State* L) {
  static_cast<HttpModule*>(lua_touserdata(L, 1))->~HttpModule();
  return 0;
}

}  // namespace

void open_http(LuaHost& host, socket::SocketRegistry& sockets, const fs::DeviceFs& files) {
  lua_State* L = host.state();
  new (lua_newuserdata(L, sizeof(HttpModule))) HttpModule(host, sockets, files);
  luaL_newmetatable(L, kModuleType);
  lua_pushcfunction(L, guarded<module_gc>);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  // The module state lives as long as the VM: kept in the registry and as the functions' upvalue.
  lua_pushvalue(L, -1);
  lua_setfield(L, LUA_REGISTRYINDEX, kModuleType);
  const luaL_Reg functions[] = {{"request", guarded<http_request>}, {nullptr, nullptr}};
  lua_newtable(L);
  lua_insert(L, -2);
  luaL_setfuncs(L, functions, 1);
  lua_setglobal(L, "http");
}

}  // namespace luatnet::lua
