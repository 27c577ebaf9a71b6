// Lua bindings layer: the `ftp` module (login, command, pull, push, close, debug) as the firmware has it.
// Each call returns a waitable object (cwait.hpp): obj.wait() in a task gives true, false or the reply
// text once the session (proto/ftp) is done with it, or at once the firmware's error code when the call
// is refused. One session at a time, as on the device. Local files are device paths (fs::DeviceFs). No
// network logic here.
#include <cstdio>

#include "adapter/adapter_index.hpp"
#include "common/logger.hpp"
#include "fs/device_fs.hpp"
#include "lua/cwait.hpp"
#include "lua/lua_host.hpp"
#include "lua/modules.hpp"
#include "proto/ftp/ftp_session.hpp"
#include "socket/socket_registry.hpp"

namespace luatnet::lua {
namespace {

namespace ftp = proto::ftp;

constexpr char kSessionKey[] = "luatnet.ftp";

// The firmware's codes for a call refused at once.
constexpr lua_Integer kErrorState = -1;      // already logged in, or no such adapter
constexpr lua_Integer kErrorConnect = -4;    // push or close without a session, or an unreadable file
constexpr lua_Integer kErrorFile = -8;       // command or pull without a session, bad command, file
constexpr lua_Integer kErrorNoMemory = -9;   // no socket left on the adapter
constexpr lua_Integer kErrorHost = -20;      // host name empty or 64 characters and more
constexpr lua_Integer kErrorUser = -21;      // user name likewise
constexpr lua_Integer kErrorPassword = -22;  // password likewise
constexpr lua_Integer kErrorTls = -24;       // the firmware's ftp has no TLS
constexpr std::size_t kMaxField = 63;
constexpr std::size_t kMaxCommandLine = 126;  // the firmware's command buffer holds 128 bytes with CRLF

// Lives in the registry for the whole run: the session goes when the Lua state closes.
struct FtpHolder {
  std::shared_ptr<ftp::Session> session;
  bool debug = false;
  fs::DeviceFs* files = nullptr;
};

FtpHolder& holder(lua_State* L) { return *static_cast<FtpHolder*>(lua_touserdata(L, lua_upvalueindex(1))); }

socket::SocketRegistry& sockets(lua_State* L) {
  return *static_cast<socket::SocketRegistry*>(lua_touserdata(L, lua_upvalueindex(2)));
}

ftp::Session* live_session(lua_State* L) {
  auto& session = holder(L).session;
  return session != nullptr && !session->ended() ? session.get() : nullptr;
}

// The local file of a pull (replaced) or a push, by device path; nullptr when it cannot be opened or the
// path leaves the device's file system.
ftp::File open_local(fs::DeviceFs& files, const char* path, bool download) {
  try {
    if (download) files.remove(path);
    return ftp::File(files.open(path, download ? "wb+" : "rb").file);
  } catch (const fs::PathRefused& refused) {
    Logger::instance().log(LogLevel::Error, "ftp", refused.what());
    return nullptr;
  }
}

int refuse(lua_State* L, lua_Integer code, const char* why) {
  Logger::instance().log(LogLevel::Error, "ftp", why);
  lua_pushinteger(L, code);
  push_ready_waitable(L, 1);
  return 1;
}

bool has_line_break(const char* text, std::size_t length) {
  return std::string_view(text, length).find_first_of("\r\n") != std::string_view::npos;
}

// A waitable for the next result, and the callback that publishes the result to it.
ftp::Session::Done push_result_waitable(lua_State* L) {
  std::uint64_t id = push_waitable(L);
  LuaHost* host = &LuaHost::from(L);
  return [host, id](ftp::Outcome outcome) {
    host->post([id, outcome = std::move(outcome)](lua_State* state) {
      if (outcome.ok && outcome.text) {
        lua_pushlstring(state, outcome.text->data(), outcome.text->size());
      } else {
        lua_pushboolean(state, outcome.ok ? 1 : 0);
      }
      publish_waitable(state, id, 1);
    });
  };
}

// ftp.login(adapter, host, port, user, password, ssl)
int ftp_login(lua_State* L) {
  auto& registry = sockets(L);
  lua_Integer adapter = opt_integer(L, 1, registry.adapters().default_index());
  std::size_t host_length = 0;
  const char* host = luaL_checklstring(L, 2, &host_length);
  lua_Integer port = opt_integer(L, 3, 21);
  luaL_argcheck(L, port > 0 && port <= 65535, 3, "port out of range");
  std::size_t user_length = 0;
  const char* user = luaL_optlstring(L, 4, "", &user_length);
  std::size_t password_length = 0;
  const char* password = luaL_optlstring(L, 5, "", &password_length);
  bool tls = (lua_isboolean(L, 6) && lua_toboolean(L, 6)) || lua_istable(L, 6);

  if (live_session(L) != nullptr) return refuse(L, kErrorState, "ftp already login, please close first");
  if (adapter < 0 || adapter >= adapter::kAdapterCount) return refuse(L, kErrorState, "bad network adapter index");
  if (host_length == 0 || host_length > kMaxField) return refuse(L, kErrorHost, "invalid ip address length");
  if (user_length == 0 || user_length > kMaxField || has_line_break(user, user_length)) {
    return refuse(L, kErrorUser, "invalid username");
  }
  if (password_length == 0 || password_length > kMaxField || has_line_break(password, password_length)) {
    return refuse(L, kErrorPassword, "invalid password");
  }
  if (tls) return refuse(L, kErrorTls, "ftp tls not support yet");

  auto done = push_result_waitable(L);
  auto& slot = holder(L);
  slot.session.reset();
  slot.session = ftp::Session::create(registry, LuaHost::from(L).loop().io(),
                                      ftp::LoginSettings{.adapter_index = static_cast<int>(adapter),
                                                         .host = std::string(host, host_length),
                                                         .port = static_cast<std::uint16_t>(port),
                                                         .user = std::string(user, user_length),
                                                         .password = std::string(password, password_length)});
  if (slot.session == nullptr) {
    lua_pop(L, 1);
    return refuse(L, kErrorNoMemory, "cmd_netc create fail");
  }
  slot.session->set_debug(slot.debug);
  slot.session->login(std::move(done));
  return 1;
}

bool supported_command(std::string_view line) {
  for (std::string_view name : {"NOOP", "SYST", "MKD", "CWD", "CDUP", "RMD", "PWD", "DELE", "TYPE", "SIZE", "LIST"}) {
    if (line.starts_with(name)) return true;
  }
  return false;
}

// ftp.command(line): the reply text (a LIST: the listing), false on failure.
int ftp_command(lua_State* L) {
  std::size_t length = 0;
  const char* line = luaL_optlstring(L, 1, "", &length);
  ftp::Session* session = live_session(L);
  if (session == nullptr) return refuse(L, kErrorFile, "please login first");
  if (!supported_command(std::string_view(line, length)) || length > kMaxCommandLine || has_line_break(line, length)) {
    return refuse(L, kErrorFile, "not support cmd");
  }
  auto done = push_result_waitable(L);
  session->command(std::string(line, length), std::move(done));
  return 1;
}

// ftp.pull(local, remote): true once `remote` is in `local` (replaced); ftp.push(local, remote): true once
// `local` is stored as `remote`; false on failure.
enum class Direction { Pull, Push };

template <Direction direction>
int ftp_transfer(lua_State* L) {
  constexpr bool pull = direction == Direction::Pull;
  constexpr lua_Integer refused = pull ? kErrorFile : kErrorConnect;
  std::size_t local_length = 0;
  const char* local = luaL_optlstring(L, 1, "", &local_length);
  std::size_t remote_length = 0;
  const char* remote = luaL_optlstring(L, 2, "", &remote_length);
  ftp::Session* session = live_session(L);
  if (session == nullptr) return refuse(L, refused, "please login first");
  if (has_line_break(remote, remote_length)) return refuse(L, refused, "bad remote name");
  auto done = push_result_waitable(L);  // first: it may raise, and no file may be open then
  ftp::File file = open_local(*holder(L).files, local, pull);
  if (file == nullptr) {
    lua_pop(L, 1);
    return refuse(L, refused, pull ? "open download file fail" : "open upload file fail");
  }
  if (pull) {
    session->pull(std::move(file), std::string(remote, remote_length), std::move(done));
  } else {
    session->push(std::move(file), std::string(remote, remote_length), std::move(done));
  }
  return 1;
}

// ftp.close(): the server's goodbye (text) or false; the session ends either way.
int ftp_close(lua_State* L) {
  ftp::Session* session = live_session(L);
  if (session == nullptr) return refuse(L, kErrorConnect, "please login first");
  auto done = push_result_waitable(L);
  session->quit(std::move(done));
  return 1;
}

int ftp_debug(lua_State* L) {
  if (lua_isboolean(L, 1)) {
    auto& slot = holder(L);
    slot.debug = lua_toboolean(L, 1) != 0;
    if (slot.session != nullptr) slot.session->set_debug(slot.debug);
  }
  return 0;
}

}  // namespace

void open_ftp(LuaHost& host, socket::SocketRegistry& registry, fs::DeviceFs& device_fs) {
  lua_State* L = host.state();
  new_state_object<FtpHolder>(L, kSessionKey).files = &device_fs;

  const luaL_Reg functions[] = {{"login", guarded<ftp_login>},
                                {"command", guarded<ftp_command>},
                                {"pull", guarded<ftp_transfer<Direction::Pull>>},
                                {"push", guarded<ftp_transfer<Direction::Push>>},
                                {"close", guarded<ftp_close>},
                                {"debug", guarded<ftp_debug>},
                                {nullptr, nullptr}};
  lua_newtable(L);
  lua_insert(L, -2);  // the module table below the holder
  lua_pushlightuserdata(L, &registry);
  luaL_setfuncs(L, functions, 2);
  lua_setglobal(L, "ftp");
}

}  // namespace luatnet::lua
