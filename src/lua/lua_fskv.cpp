// Lua bindings layer: fskv, the firmware's key-value store that survives restarts (init, set/get/del,
// sett, clear/clr, iter/next, status/stat, the fdb-compatible kv_* names, and the global fdb). Values
// keep their Lua type: booleans, integers, strings, tables (as JSON, through the global json) and other
// numbers, which the firmware stores as 32-bit floats. The store itself is fs::KvStore.
#include <cstdint>
#include <cstring>
#include <string>

#include "common/logger.hpp"
#include "fs/kv_store.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

using fs::KvStore;

const char kIteratorKey = 0;

KvStore& store(lua_State* L) { return *static_cast<KvStore*>(lua_touserdata(L, lua_upvalueindex(1))); }

void warn(const char* message) { Logger::instance().log(LogLevel::Warn, "fskv", message); }

// The firmware logs and returns nothing when a script forgets fskv.init().
bool ready(lua_State* L) {
  if (store(L).loaded()) return true;
  Logger::instance().log(LogLevel::Error, "fskv", "call fskv.init() first");
  return false;
}

// Pushes the stored form of the value at `index` (a type tag, then the payload); false for values the
// firmware refuses (nil, functions, userdata, threads) or a table json.encode does not turn into text.
bool push_encoded(lua_State* L, int index) {
  char bytes[9];
  switch (lua_type(L, index)) {
    case LUA_TBOOLEAN:
      bytes[0] = 'b';
      bytes[1] = lua_toboolean(L, index) ? 1 : 0;
      lua_pushlstring(L, bytes, 2);
      return true;
    case LUA_TNUMBER:
      if (lua_isinteger(L, index)) {
        auto value = static_cast<std::uint64_t>(lua_tointeger(L, index));
        bytes[0] = 'i';
        for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>((value >> (8 * i)) & 0xFF);
        lua_pushlstring(L, bytes, 9);
      } else {
        auto value = static_cast<float>(lua_tonumber(L, index));
        std::uint32_t bits = 0;
        std::memcpy(&bits, &value, sizeof bits);
        bytes[0] = 'f';
        for (int i = 0; i < 4; ++i) bytes[1 + i] = static_cast<char>((bits >> (8 * i)) & 0xFF);
        lua_pushlstring(L, bytes, 5);
      }
      return true;
    case LUA_TSTRING:
      lua_pushliteral(L, "s");
      lua_pushvalue(L, index);
      lua_concat(L, 2);
      return true;
    case LUA_TTABLE:
      lua_getglobal(L, "json");
      lua_getfield(L, -1, "encode");
      lua_remove(L, -2);
      lua_pushvalue(L, index);
      lua_call(L, 1, 1);
      if (lua_type(L, -1) != LUA_TSTRING) {
        lua_pop(L, 1);
        warn("json.encode did not turn the table into text");
        return false;
      }
      lua_pushliteral(L, "t");
      lua_insert(L, -2);
      lua_concat(L, 2);
      return true;
    default:
      warn("nil, functions, userdata and threads cannot be stored");
      return false;
  }
}

// Stores the value at `value_index` under the key at `key_index`; pushes whether it worked.
int store_value(lua_State* L, int key_index, int value_index) {
  if (!push_encoded(L, value_index)) {
    lua_pushboolean(L, 0);
    return 1;
  }
  size_t key_length = 0;
  size_t length = 0;
  const char* key = lua_tolstring(L, key_index, &key_length);
  const char* encoded = lua_tolstring(L, -1, &length);
  if (length > KvStore::kMaxValue) warn("value too big: 4096 bytes at most");
  bool stored = length <= KvStore::kMaxValue && store(L).set({key, key_length}, {encoded, length});
  lua_pushboolean(L, stored);
  return 1;
}

// Pushes the stored form of `key`; false when there is none.
bool push_stored(lua_State* L, int key_index) {
  size_t key_length = 0;
  const char* key = lua_tolstring(L, key_index, &key_length);
  auto value = store(L).get({key, key_length});
  if (!value) return false;
  lua_pushlstring(L, value->data(), value->size());
  return true;
}

template <typename Unsigned>
Unsigned little_endian(const char* bytes) {
  Unsigned value = 0;
  for (std::size_t i = 0; i < sizeof(Unsigned); ++i) value |= Unsigned(static_cast<unsigned char>(bytes[i])) << (8 * i);
  return value;
}

// Pushes the value whose stored form is at `raw_index`; with a non-empty `field` and a table, its field.
void push_decoded(lua_State* L, int raw_index, const char* field) {
  size_t length = 0;
  const char* raw = lua_tolstring(L, raw_index, &length);
  char tag = length > 0 ? raw[0] : '\0';
  const char* payload = raw + 1;
  size_t size = length > 0 ? length - 1 : 0;
  if (tag == 'b' && size == 1) {
    lua_pushboolean(L, payload[0] != 0);
  } else if (tag == 'i' && size == 8) {
    lua_pushinteger(L, static_cast<lua_Integer>(little_endian<std::uint64_t>(payload)));
  } else if (tag == 'f' && size == 4) {
    auto bits = little_endian<std::uint32_t>(payload);
    float value = 0;
    std::memcpy(&value, &bits, sizeof value);
    lua_pushnumber(L, value);
  } else if (tag == 's') {
    lua_pushlstring(L, payload, size);
  } else if (tag == 't') {
    lua_getglobal(L, "json");
    lua_getfield(L, -1, "decode");
    lua_remove(L, -2);
    lua_pushlstring(L, payload, size);
    lua_call(L, 1, 1);
    if (field[0] != '\0' && lua_istable(L, -1)) lua_getfield(L, -1, field);
  } else {
    warn("stored value has an unknown form");
    lua_pushnil(L);
  }
}

int fskv_init(lua_State* L) {
  KvStore& kv = store(L);
  if (!kv.loaded()) {
    switch (kv.load()) {
      case KvStore::Loaded::Corrupt:
        warn("the store file is damaged: starting empty, as the firmware reformats a region it cannot mount");
        break;
      case KvStore::Loaded::Unreadable:
        Logger::instance().log(LogLevel::Error, "fskv", "cannot read the store file");
        break;
      default:
        break;
    }
  }
  lua_pushboolean(L, kv.loaded());
  return 1;
}

int fskv_set(lua_State* L) {
  luaL_checkstring(L, 1);
  if (!ready(L)) return 0;
  return store_value(L, 1, 2);
}

int fskv_sett(lua_State* L) {
  luaL_checkstring(L, 1);
  const char* field = luaL_checkstring(L, 2);
  if (!ready(L) || lua_gettop(L) < 3) return 0;
  lua_settop(L, 3);
  bool has_table = false;
  if (push_stored(L, 1)) {
    push_decoded(L, 4, "");
    has_table = lua_istable(L, -1);
  }
  if (!has_table) {  // a missing key or one holding another type starts over as a table
    lua_settop(L, 3);
    lua_newtable(L);
  }
  lua_pushvalue(L, 3);
  lua_setfield(L, -2, field);  // nil removes the field
  return store_value(L, 1, lua_gettop(L));
}

int fskv_get(lua_State* L) {
  luaL_checkstring(L, 1);
  const char* field = luaL_optstring(L, 2, "");
  if (!ready(L)) return 0;
  lua_settop(L, 2);
  if (!push_stored(L, 1)) return 0;
  push_decoded(L, 3, field);
  return 1;
}

int fskv_del(lua_State* L) {
  size_t length = 0;
  const char* key = luaL_checklstring(L, 1, &length);
  if (!ready(L)) return 0;
  lua_pushboolean(L, store(L).remove({key, length}));
  return 1;
}

int fskv_clear(lua_State* L) {
  if (!ready(L)) return 0;
  lua_pushboolean(L, store(L).clear());
  return 1;
}

int fskv_iter(lua_State* L) {
  if (!ready(L)) return 0;
  new_typed_userdata<std::size_t>(L, &kIteratorKey, 0);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &kIteratorKey);
  lua_setmetatable(L, -2);
  return 1;
}

int fskv_next(lua_State* L) {
  auto* position = static_cast<std::size_t*>(test_userdata(L, 1, &kIteratorKey));
  luaL_argcheck(L, position != nullptr, 1, "fskv iterator expected (from fskv.iter)");
  auto key = store(L).key_at(*position);
  if (!key) return 0;
  ++*position;
  lua_pushlstring(L, key->data(), key->size());
  return 1;
}

int fskv_status(lua_State* L) {
  if (!ready(L)) return 0;
  auto status = store(L).status();
  lua_pushinteger(L, static_cast<lua_Integer>(status.used));
  lua_pushinteger(L, static_cast<lua_Integer>(status.total));
  lua_pushinteger(L, static_cast<lua_Integer>(status.count));
  return 3;
}

}  // namespace

void open_fskv(lua_State* L, fs::KvStore& kv) {
  new_metatable(L, "fskv.iter", &kIteratorKey);
  lua_pop(L, 1);
  const luaL_Reg functions[] = {{"init", guarded<fskv_init>},      {"set", guarded<fskv_set>},
                                {"get", guarded<fskv_get>},        {"del", guarded<fskv_del>},
                                {"clr", guarded<fskv_clear>},      {"clear", guarded<fskv_clear>},
                                {"stat", guarded<fskv_status>},    {"status", guarded<fskv_status>},
                                {"iter", guarded<fskv_iter>},      {"next", guarded<fskv_next>},
                                {"sett", guarded<fskv_sett>},      {"kvdb_init", guarded<fskv_init>},
                                {"kv_set", guarded<fskv_set>},     {"kv_get", guarded<fskv_get>},
                                {"kv_del", guarded<fskv_del>},     {"kv_clr", guarded<fskv_clear>},
                                {"kv_stat", guarded<fskv_status>}, {"kv_iter", guarded<fskv_iter>},
                                {"kv_next", guarded<fskv_next>},   {nullptr, nullptr}};
  lua_createtable(L, 0, 19);
  lua_pushlightuserdata(L, &kv);
  luaL_setfuncs(L, functions, 1);
  lua_pushvalue(L, -1);
  lua_setglobal(L, "fdb");  // as the firmware: scripts written for fdb find the same functions
  lua_setglobal(L, "fskv");
}

}  // namespace luatnet::lua
