// Lua bindings layer: `errDump`, the firmware's error log (luat_lib_errdump.c names, arguments and
// returns) over device/error_dump, which keeps the logs in the device file system. Only argument checks
// and zbuff conversion here.
#include <new>
#include <type_traits>

#include "device/error_dump.hpp"
#include "lua/lua_zbuff.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

// Lives in a userdata without __gc: nothing to release.
static_assert(std::is_trivially_destructible_v<device::ErrorDump>);

device::ErrorDump& dump_state(lua_State* L) {
  return *static_cast<device::ErrorDump*>(lua_touserdata(L, lua_upvalueindex(1)));
}

constexpr lua_Integer kDefaultUploadPeriod = 600;

// errDump.config(enable, period, user_flag, custom_id, host, port, adapter): a boolean first argument
// switches recording (false deletes both logs); the upload settings are accepted and not used.
int errdump_config(lua_State* L) {
  if (lua_isboolean(L, 1)) dump_state(L).configure(lua_toboolean(L, 1) != 0, opt_integer(L, 2, kDefaultUploadPeriod));
  return 0;
}

// errDump.record(text): appends to the user log (nothing for a non-string or while disabled).
int errdump_record(lua_State* L) {
  if (lua_type(L, 1) == LUA_TSTRING) dump_state(L).record(device::ErrorDump::kUser, check_view(L, 1));
  return 0;
}

// errDump.dump(zbuff, type, delete) -> whether the log was written since it was last read. With a zbuff,
// the log is copied to its start (it grows to fit) and its cursor set to the length; `delete` removes it.
int errdump_dump(lua_State* L) {
  buffer::ZBuff* buff = lua_isuserdata(L, 1) ? check_zbuff(L, 1) : nullptr;
  lua_Integer type = opt_integer(L, 2, device::ErrorDump::kUser);
  bool remove = lua_isboolean(L, 3) && lua_toboolean(L, 3) != 0;
  if (type < 0 || type >= device::ErrorDump::kKinds) {
    lua_pushboolean(L, 1);
    return 1;
  }
  auto kind = static_cast<device::ErrorDump::Kind>(type);
  auto& state = dump_state(L);
  bool written = state.written_since_read(kind);
  if (buff != nullptr) {
    std::string text = state.read(kind);
    if (buff->length() < text.size()) buff->resize(text.size());
    buff->copy_in(0, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
    buff->set_used(text.size());
  }
  if (remove) state.remove(kind);
  lua_pushboolean(L, written);
  return 1;
}

}  // namespace

void open_errdump(lua_State* L, const fs::DeviceFs& files) {
  const luaL_Reg functions[] = {{"config", guarded<errdump_config>},
                                {"record", guarded<errdump_record>},
                                {"dump", guarded<errdump_dump>},
                                {nullptr, nullptr}};
  lua_newtable(L);
  new (lua_newuserdata(L, sizeof(device::ErrorDump))) device::ErrorDump(files);
  luaL_setfuncs(L, functions, 1);
  lua_pushinteger(L, device::ErrorDump::kSystem);
  lua_setfield(L, -2, "TYPE_SYS");
  lua_pushinteger(L, device::ErrorDump::kUser);
  lua_setfield(L, -2, "TYPE_USR");
  lua_setglobal(L, "errDump");
}

}  // namespace luatnet::lua
