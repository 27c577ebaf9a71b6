// Lua bindings layer: access to zbuff userdata for other bindings (socket tx/rx use the buffer in place).
#pragma once

#include <lua.hpp>

#include "buffer/zbuff.hpp"

namespace luatnet::lua {

inline constexpr const char* kZBuffType = "ZBUFF*";

// The zbuff at `index`, or nullptr when the value is not one.
buffer::ZBuff* test_zbuff(lua_State* L, int index);
// The zbuff at `index`; raises a Lua argument error otherwise.
buffer::ZBuff* check_zbuff(lua_State* L, int index);

}  // namespace luatnet::lua
