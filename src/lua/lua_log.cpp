// Lua bindings layer: the `log` module and `print`. Both format Lua values the way the firmware's print
// does (values joined by one space); log hands the finished line to the shared Logger, print writes it
// to standard output, as Lua's own print does.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "common/logger.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

// "file.lua:line" of the script line that called log, into `out`.
void caller_position(lua_State* L, char (&out)[256]) {
  lua_Debug ar;
  if (lua_getstack(L, 1, &ar) == 0 || lua_getinfo(L, "Sl", &ar) == 0) {
    std::snprintf(out, sizeof out, "?");
    return;
  }
  const char* source = ar.source[0] == '@' || ar.source[0] == '=' ? ar.source + 1 : ar.short_src;
  const char* slash = std::strrchr(source, '/');
  std::snprintf(out, sizeof out, "%s:%d", slash != nullptr ? slash + 1 : source, ar.currentline);
}

// Appends values first..last, each through tostring (so __tostring and __name count), separated by one
// space; `after_text`: the line already holds text, so a space comes first.
void add_values(lua_State* L, luaL_Buffer& line, int first, int last, bool after_text) {
  for (int i = first; i <= last; ++i) {
    if (after_text || i > first) luaL_addchar(&line, ' ');
    luaL_tolstring(L, i, nullptr);
    luaL_addvalue(&line);
  }
}

std::string_view finish(lua_State* L, luaL_Buffer& line) {
  luaL_pushresult(&line);
  size_t length = 0;
  const char* text = lua_tolstring(L, -1, &length);
  return {text, length};
}

// The line is built in a Lua buffer: luaL_tolstring may run a __tostring that raises, and a Lua error
// must not skip C++ destructors.
int write_log(lua_State* L, LogLevel level) {
  auto& logger = Logger::instance();
  size_t tag_length = 0;
  const char* tag = luaL_checklstring(L, 1, &tag_length);
  if (!logger.enabled(level)) {
    return 0;
  }
  int argc = lua_gettop(L);
  char position[256];
  const char prefix[] = {Logger::letter(level), '/', '\0'};
  luaL_Buffer line;
  luaL_buffinit(L, &line);
  luaL_addstring(&line, prefix);
  switch (logger.style()) {
    case 1:  // position in place of "user.", the tag becomes the first value
      caller_position(L, position);
      luaL_addstring(&line, position);
      luaL_addchar(&line, ' ');
      luaL_addlstring(&line, tag, tag_length);
      break;
    case 2:
      caller_position(L, position);
      luaL_addstring(&line, "user.");
      luaL_addlstring(&line, tag, tag_length);
      luaL_addchar(&line, ' ');
      luaL_addstring(&line, position);
      break;
    default:
      luaL_addstring(&line, "user.");
      luaL_addlstring(&line, tag, tag_length);
      break;
  }
  add_values(L, line, 2, argc, true);
  logger.write_line(finish(L, line));
  return 0;
}

// print(...): the values joined by one space, on standard output (flushed, as Lua's print), whatever
// the log level.
int print(lua_State* L) {
  int argc = lua_gettop(L);
  luaL_Buffer line;
  luaL_buffinit(L, &line);
  add_values(L, line, 1, argc, false);
  std::string_view text = finish(L, line);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
  return 0;
}

int log_trace(lua_State* L) { return write_log(L, LogLevel::Trace); }
int log_debug(lua_State* L) { return write_log(L, LogLevel::Debug); }
int log_info(lua_State* L) { return write_log(L, LogLevel::Info); }
int log_warn(lua_State* L) { return write_log(L, LogLevel::Warn); }
int log_error(lua_State* L) { return write_log(L, LogLevel::Error); }

// The names the firmware accepts, plus TRACE for luatnet's log.trace. FATAL is above ERROR: it silences
// log.error and log.fatal too.
struct NamedLevel {
  const char* name;
  LogLevel level;
};
constexpr NamedLevel kLevels[] = {{"SILENT", LogLevel::Silent}, {"TRACE", LogLevel::Trace}, {"DEBUG", LogLevel::Debug},
                                  {"INFO", LogLevel::Info},     {"WARN", LogLevel::Warn},   {"ERROR", LogLevel::Error},
                                  {"FATAL", LogLevel::Fatal}};

// As on the firmware, 0 switches logging off. A name the firmware does not know switches it off there
// too; here it is an argument error, so that a typo does not hide every line (docs/runtime.md).
int log_set_level(lua_State* L) {
  if (lua_isinteger(L, 1)) {
    lua_Integer value = lua_tointeger(L, 1);
    luaL_argcheck(L, value >= 0 && value <= 7, 1, "level must be 0..7");
    Logger::instance().set_level(value == 0 ? LogLevel::Silent : static_cast<LogLevel>(value));
    return 0;
  }
  if (lua_type(L, 1) != LUA_TSTRING) {
    return luaL_argerror(L, 1, "level name (string) or number expected");
  }
  const char* name = lua_tostring(L, 1);
  for (const auto& entry : kLevels) {
    if (std::strcmp(entry.name, name) == 0) {
      Logger::instance().set_level(entry.level);
      return 0;
    }
  }
  return luaL_argerror(L, 1, "unknown level (SILENT, TRACE, DEBUG, INFO, WARN, ERROR, FATAL)");
}

int log_get_level(lua_State* L) {
  lua_pushinteger(L, static_cast<lua_Integer>(Logger::instance().level()));
  return 1;
}

int log_style(lua_State* L) {
  if (!lua_isnoneornil(L, 1)) {
    lua_Integer style = luaL_checkinteger(L, 1);
    luaL_argcheck(L, style >= 0 && style <= 2, 1, "style must be 0, 1 or 2");
    Logger::instance().set_style(static_cast<int>(style));
  }
  lua_pushinteger(L, Logger::instance().style());
  return 1;
}

}  // namespace

void open_log(lua_State* L) {
  const luaL_Reg functions[] = {{"trace", guarded<log_trace>},        {"debug", guarded<log_debug>},
                                {"info", guarded<log_info>},          {"warn", guarded<log_warn>},
                                {"error", guarded<log_error>},        {"fatal", guarded<log_error>},
                                {"setLevel", guarded<log_set_level>}, {"getLevel", guarded<log_get_level>},
                                {"style", guarded<log_style>},        {nullptr, nullptr}};
  lua_register(L, "print", guarded<print>);
  luaL_newlib(L, functions);
  const std::pair<const char*, LogLevel> constants[] = {{"LOG_SILENT", LogLevel::Silent},
                                                        {"LOG_DEBUG", LogLevel::Debug},
                                                        {"LOG_INFO", LogLevel::Info},
                                                        {"LOG_WARN", LogLevel::Warn},
                                                        {"LOG_ERROR", LogLevel::Error}};
  for (const auto& [name, level] : constants) {
    lua_pushinteger(L, static_cast<lua_Integer>(level));
    lua_setfield(L, -2, name);
  }
  lua_setglobal(L, "log");
}

}  // namespace luatnet::lua
