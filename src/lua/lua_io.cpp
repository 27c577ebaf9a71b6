// Lua bindings layer: file access as LuatOS scripts have it. io.open, io.lines, io.input/output, loadfile,
// dofile, os.remove and os.rename take device paths (mapped by fs::DeviceFs: /luadb/ read-only, the rest
// in the --fs folder); LuatOS adds io.readFile, writeFile, exists, fileSize/fsize, mkdir, rmdir, dexist,
// lsdir, fsstat, file:fill, and `fs` as another name for `io`. The unmapped originals stay reachable for
// host-side test code through the host-only module luatnet.host (open, lines, remove, rename, fs_root).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "fs/device_fs.hpp"
#include "lua/lua_zbuff.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

fs::DeviceFs& files(lua_State* L) { return *static_cast<fs::DeviceFs*>(lua_touserdata(L, lua_upvalueindex(1))); }

// The standard library's check of an io.open mode: [rwa]%+?b*
bool valid_mode(const char* mode) {
  if (*mode == '\0' || std::strchr("rwa", *mode++) == nullptr) return false;
  if (*mode == '+') ++mode;
  return std::strspn(mode, "b") == std::strlen(mode);
}

int close_stream(lua_State* L) {
  auto* stream = static_cast<luaL_Stream*>(luaL_checkudata(L, 1, LUA_FILEHANDLE));
  return luaL_fileresult(L, std::fclose(stream->f) == 0, nullptr);
}

// Opens a device file as a standard Lua file handle; otherwise pushes nil, message, errno (as io.open).
int push_opened(lua_State* L, const char* path, const char* mode) {
  auto* stream = static_cast<luaL_Stream*>(lua_newuserdata(L, sizeof(luaL_Stream)));
  stream->closef = nullptr;  // counts as closed until the file is open
  luaL_setmetatable(L, LUA_FILEHANDLE);
  auto opened = files(L).open(path, mode);
  if (opened.file == nullptr) {
    errno = opened.error;
    return luaL_fileresult(L, 0, path);
  }
  stream->f = opened.file;
  stream->closef = &close_stream;
  return 1;
}

// Pushes the host file that reading `path` uses and returns 0; or returns the errno of opening it.
int push_readable_host_file(lua_State* L, const char* path) {
  auto opened = files(L).open(path, "r");
  if (opened.file == nullptr) return opened.error;
  std::fclose(opened.file);
  lua_pushstring(L, files(L).host_file(path).c_str());
  return 0;
}

int io_open(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  const char* mode = luaL_optstring(L, 2, "r");
  luaL_argcheck(L, valid_mode(mode), 2, "invalid mode");
  return push_opened(L, path, mode);
}

// io.lines, io.input, io.output, loadfile and dofile with a device path: the original (upvalue 2) is
// called with the host path; anything else goes to it unchanged.
template <bool Raises>
int by_host_path(lua_State* L) {
  int count = lua_gettop(L);
  if (lua_type(L, 1) == LUA_TSTRING) {
    const char* path = lua_tostring(L, 1);
    int error = push_readable_host_file(L, path);
    if (error != 0) {
      lua_pushfstring(L, "cannot open %s: %s", path, std::strerror(error));
      if (Raises) return lua_error(L);
      lua_pushnil(L);
      lua_insert(L, -2);
      return 2;
    }
    lua_replace(L, 1);
  }
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_insert(L, 1);
  lua_call(L, count, LUA_MULTRET);
  return lua_gettop(L);
}

// io.output(name) opens for writing, which by_host_path (reads only) does not cover.
int io_output(lua_State* L) {
  if (lua_type(L, 1) == LUA_TSTRING) {
    const char* path = lua_tostring(L, 1);
    if (push_opened(L, path, "w") != 1) return luaL_error(L, "cannot open file '%s' (%s)", path, lua_tostring(L, -2));
    lua_replace(L, 1);
  }
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, 1);
  return 1;
}

int io_read_file(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  const char* mode = luaL_optstring(L, 2, "rb");
  lua_Integer offset = opt_integer(L, 3, 0);
  lua_Integer remaining = opt_integer(L, 4, lua_Integer{1} << 30);
  auto opened = files(L).open(path, mode);  // the firmware hands the mode ("rb+", ...) to fopen unchecked
  if (opened.file == nullptr) return 0;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(opened.file, &std::fclose);
  if (offset > 0) std::fseek(file.get(), static_cast<long>(offset), SEEK_SET);
  std::string data;
  char chunk[4096];
  while (remaining > 0) {
    auto wanted = static_cast<std::size_t>(std::min<lua_Integer>(remaining, sizeof chunk));
    std::size_t got = std::fread(chunk, 1, wanted, file.get());
    if (got == 0) break;
    data.append(chunk, got);
    remaining -= static_cast<lua_Integer>(got);
  }
  lua_pushlstring(L, data.data(), data.size());
  return 1;
}

int io_write_file(lua_State* L) {
  size_t length = 0;
  const char* path = luaL_checkstring(L, 1);
  const char* data = luaL_checklstring(L, 2, &length);
  const char* mode = luaL_optstring(L, 3, "wb+");
  auto opened = files(L).open(path, mode);
  if (opened.file == nullptr) return 0;  // the firmware returns nothing when it cannot open the file
  bool written = std::fwrite(data, 1, length, opened.file) == length;
  lua_pushboolean(L, (std::fclose(opened.file) == 0) && written);
  return 1;
}

int io_exists(lua_State* L) {
  lua_pushboolean(L, files(L).file_exists(luaL_checkstring(L, 1)));
  return 1;
}

int io_file_size(lua_State* L) {
  // The firmware answers 0 for a missing file (its doc says nil).
  lua_pushinteger(L, static_cast<lua_Integer>(files(L).file_size(luaL_checkstring(L, 1)).value_or(0)));
  return 1;
}

int os_remove(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  errno = files(L).remove(path);
  return luaL_fileresult(L, errno == 0, path);
}

int os_rename(lua_State* L) {
  const char* from = luaL_checkstring(L, 1);
  const char* to = luaL_checkstring(L, 2);
  errno = files(L).rename(from, to);
  return luaL_fileresult(L, errno == 0, nullptr);
}

// io.mkdir / io.rmdir: true, 0 or false, -1 (littlefs's answers through the firmware's VFS).
int push_dir_result(lua_State* L, bool ok) {
  lua_pushboolean(L, ok);
  lua_pushinteger(L, ok ? 0 : -1);
  return 2;
}

int io_mkdir(lua_State* L) { return push_dir_result(L, files(L).make_dir(luaL_checkstring(L, 1))); }

int io_rmdir(lua_State* L) { return push_dir_result(L, files(L).remove_dir(luaL_checkstring(L, 1))); }

int io_dexist(lua_State* L) {
  lua_pushboolean(L, files(L).dir_exists(luaL_checkstring(L, 1)));
  return 1;
}

int io_lsdir(lua_State* L) {
  const char* path = luaL_checkstring(L, 1);
  lua_Integer count = opt_integer(L, 2, 10);
  lua_Integer offset = opt_integer(L, 3, 0);
  count = count < 0 ? 10 : std::min<lua_Integer>(count, 100);
  offset = std::max<lua_Integer>(offset, 0);
  auto entries = files(L).list_dir(path, static_cast<std::size_t>(offset), static_cast<std::size_t>(count));
  lua_pushboolean(L, 1);
  lua_createtable(L, static_cast<int>(entries.size()), 0);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, entries[i].is_dir ? 1 : 0);
    lua_setfield(L, -2, "type");
    lua_pushlstring(L, entries[i].name.data(), entries[i].name.size());
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, static_cast<lua_Integer>(entries[i].size));
    lua_setfield(L, -2, "size");
    lua_rawseti(L, -2, static_cast<lua_Integer>(i + 1));
  }
  return 2;
}

int io_fsstat(lua_State* L) {
  auto usage = files(L).usage(luaL_optstring(L, 1, "/"));
  lua_pushboolean(L, 1);
  lua_pushinteger(L, static_cast<lua_Integer>(usage.total_blocks));
  lua_pushinteger(L, static_cast<lua_Integer>(usage.used_blocks));
  lua_pushinteger(L, static_cast<lua_Integer>(usage.block_size));
  lua_pushlstring(L, usage.type.data(), usage.type.size());
  return 5;
}

// file:fill(buff, offset, len): reads into the zbuff's bytes without moving its cursor; true, bytes read.
int file_fill(lua_State* L) {
  auto* stream = static_cast<luaL_Stream*>(luaL_checkudata(L, 1, LUA_FILEHANDLE));
  if (stream->closef == nullptr) return luaL_error(L, "attempt to use a closed file");
  buffer::ZBuff* buff = check_zbuff(L, 2);
  auto capacity = static_cast<lua_Integer>(buff->length());
  lua_Integer offset = opt_integer(L, 3, 0);
  if (offset < 0 || offset > capacity) return luaL_error(L, "offset %d is out of range", static_cast<int>(offset));
  lua_Integer length = opt_integer(L, 4, capacity - offset);
  if (length < 0) return luaL_error(L, "len %d is out of range", static_cast<int>(length));
  length = std::min(length, capacity - offset);
  std::size_t got = std::fread(buff->data() + offset, 1, static_cast<std::size_t>(length), stream->f);
  lua_pushboolean(L, 1);
  lua_pushinteger(L, static_cast<lua_Integer>(got));
  return 2;
}

// Replaces table[name] (the table on top) with `function`, given the fs and the original as upvalues.
void wrap(lua_State* L, const char* name, lua_CFunction function, fs::DeviceFs& device_fs) {
  lua_pushlightuserdata(L, &device_fs);
  lua_getfield(L, -2, name);
  lua_pushcclosure(L, function, 2);
  lua_setfield(L, -2, name);
}

// Keeps the unmapped originals in luatnet.host for host-side test code.
void keep_host_originals(lua_State* L, const fs::DeviceFs& device_fs) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "luatnet.host");
  lua_call(L, 1, 1);
  struct Original {
    const char* library;
    const char* name;
  };
  for (auto original :
       {Original{"io", "open"}, Original{"io", "lines"}, Original{"os", "remove"}, Original{"os", "rename"}}) {
    lua_getglobal(L, original.library);
    lua_getfield(L, -1, original.name);
    lua_setfield(L, -3, original.name);
    lua_pop(L, 1);
  }
  lua_pushstring(L, device_fs.data_root().c_str());
  lua_setfield(L, -2, "fs_root");
  lua_pop(L, 1);
}

}  // namespace

void open_files(lua_State* L, fs::DeviceFs& device_fs) {
  keep_host_originals(L, device_fs);

  const luaL_Reg io_functions[] = {
      {"open", guarded<io_open>},     {"readFile", guarded<io_read_file>}, {"writeFile", guarded<io_write_file>},
      {"exists", guarded<io_exists>}, {"fileSize", guarded<io_file_size>}, {"fsize", guarded<io_file_size>},
      {"mkdir", guarded<io_mkdir>},   {"rmdir", guarded<io_rmdir>},        {"dexist", guarded<io_dexist>},
      {"lsdir", guarded<io_lsdir>},   {"fsstat", guarded<io_fsstat>},      {nullptr, nullptr}};
  lua_getglobal(L, "io");
  lua_pushlightuserdata(L, &device_fs);
  luaL_setfuncs(L, io_functions, 1);
  lua_pushinteger(L, 0);
  lua_setfield(L, -2, "FILE");
  lua_pushinteger(L, 1);
  lua_setfield(L, -2, "DIR");
  wrap(L, "lines", guarded<by_host_path<true>>, device_fs);
  wrap(L, "input", guarded<by_host_path<true>>, device_fs);
  wrap(L, "output", guarded<io_output>, device_fs);
  lua_setglobal(L, "fs");  // the firmware's fs module is the io table

  const luaL_Reg os_functions[] = {{"remove", guarded<os_remove>}, {"rename", guarded<os_rename>}, {nullptr, nullptr}};
  lua_getglobal(L, "os");
  lua_pushlightuserdata(L, &device_fs);
  luaL_setfuncs(L, os_functions, 1);
  lua_pop(L, 1);

  lua_pushglobaltable(L);
  wrap(L, "loadfile", guarded<by_host_path<false>>, device_fs);
  wrap(L, "dofile", guarded<by_host_path<true>>, device_fs);
  lua_pop(L, 1);

  luaL_getmetatable(L, LUA_FILEHANDLE);
  lua_pushcfunction(L, guarded<file_fill>);
  lua_setfield(L, -2, "fill");
  lua_pop(L, 1);
}

}  // namespace luatnet::lua
