// Lua bindings layer: the waitable objects asynchronous C functions return, as the firmware makes them.
// Each gets a topic of its own ("\x01" and an 8-byte id, so scripts' topics never meet it); the binding
// publishes the results on that topic with sys_pub when they are ready, and obj.wait() in a task returns
// them (sys_cw in sys.lua builds the object). Ids are shared by every module that uses them.
#pragma once

#include <cstdint>
#include <lua.hpp>

namespace luatnet::lua {

// Pushes a new waitable object and returns its id. Raises a Lua error when sys is not loaded.
std::uint64_t push_waitable(lua_State* L);
// Replaces the `count` values on top of the stack by a waitable object whose wait() returns them at once.
void push_ready_waitable(lua_State* L, int count);
// Publishes the `count` values on top of the stack (popping them) as the results of waitable `id`.
void publish_waitable(lua_State* L, std::uint64_t id, int count);

}  // namespace luatnet::lua
