// Lua bindings layer: the file helpers LuatOS adds to `io` (readFile, writeFile, exists, fileSize), which
// scripts use next to socket.config to load certificates.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

int io_read_file(lua_State* L) {
  std::ifstream file(luaL_checkstring(L, 1), std::ios::binary);
  if (!file) return 0;
  std::string data((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  lua_pushlstring(L, data.data(), data.size());
  return 1;
}

int io_write_file(lua_State* L) {
  size_t length = 0;
  const char* name = luaL_checkstring(L, 1);
  const char* data = luaL_checklstring(L, 2, &length);
  std::ofstream file(name, std::ios::binary | std::ios::trunc);
  file.write(data, static_cast<std::streamsize>(length));
  lua_pushboolean(L, file.good());
  return 1;
}

int io_exists(lua_State* L) {
  struct stat info {};
  lua_pushboolean(L, stat(luaL_checkstring(L, 1), &info) == 0);
  return 1;
}

int io_file_size(lua_State* L) {
  struct stat info {};
  lua_pushinteger(L, stat(luaL_checkstring(L, 1), &info) == 0 ? static_cast<lua_Integer>(info.st_size) : 0);
  return 1;
}

}  // namespace

void open_io_extras(lua_State* L) {
  const luaL_Reg extras[] = {{"readFile", guarded<io_read_file>},
                             {"writeFile", guarded<io_write_file>},
                             {"exists", guarded<io_exists>},
                             {"fileSize", guarded<io_file_size>},
                             {nullptr, nullptr}};
  lua_getglobal(L, "io");
  luaL_setfuncs(L, extras, 0);
  lua_pop(L, 1);
}

}  // namespace luatnet::lua
