// Lua bindings layer: `uart` for a device profile, with the firmware's names, arguments and returns
// (luat_lib_uart.c). Each id reaches its simulated UART (device/uart_port: the wire to a pty or a TCP
// port); this file only checks arguments, converts strings and zbuffs, and delivers the port's "receive"
// and "sent" notices to the callbacks uart.on registered. netsim.uart(id) tells a test where an id is wired.
#include <string>

#include "lua/lua_device.hpp"
#include "lua/lua_host.hpp"
#include "lua/lua_zbuff.hpp"
#include "lua/modules.hpp"

namespace luatnet::lua {
namespace {

constexpr const char* kCallbacks = "luatnet.uart.callbacks";  // registry: id -> {receive = fn, sent = fn}
constexpr lua_Integer kDefaultReadLength = 1024;              // uart.read without a length

device::Board& board(lua_State* L) { return simulated_module(L).board(); }

// The id argument: an integer that fits an int (larger ones are no UART, not an overflow).
int check_id(lua_State* L) {
  lua_Integer id = luaL_checkinteger(L, 1);
  return id < 0 || id > 0xFFFF ? -1 : static_cast<int>(id);
}

// Pushes callbacks[id][event] (nil when none).
void push_callback(lua_State* L, int id, const char* event) {
  lua_getfield(L, LUA_REGISTRYINDEX, kCallbacks);
  lua_rawgeti(L, -1, id);
  lua_remove(L, -2);
  if (lua_istable(L, -1)) {
    lua_getfield(L, -1, event);
    lua_remove(L, -2);
  }
  if (!lua_isfunction(L, -1)) {
    lua_pop(L, 1);
    lua_pushnil(L);
  }
}

// A port's notices arrive as bus messages, in order with every other event. The module outlives the Lua
// state, so the delivery may reach it through the pointer.
void wire_events(LuaHost& host, device::SimulatedModule& module, int id, device::UartPort& port) {
  port.set_events(device::UartPort::Events{
      .received =
          [&host, &module, id] {
            host.post([&module, id](lua_State* L) {
              device::UartPort* target = module.board().uart(id);
              if (target == nullptr) return;
              target->take_announcement();
              auto length = static_cast<lua_Integer>(target->buffered());
              push_callback(L, id, "receive");
              if (length == 0 || lua_isnil(L, -1)) {
                lua_pop(L, 1);
                return;
              }
              lua_pushinteger(L, id);
              lua_pushinteger(L, length);
              LuaHost::from(L).protected_call(L, 2);
            });
          },
      .sent =
          [&host, id] {
            host.post([id](lua_State* L) {
              push_callback(L, id, "sent");
              if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                return;
              }
              lua_pushinteger(L, id);
              LuaHost::from(L).protected_call(L, 1);
            });
          },
  });
}

// uart.setup(id, baud, data_bits, stop_bits, parity, bit_order, buff_size, ...) -> 0, or -1 for no such
// UART (the line settings are accepted as given: the wire carries bytes, not bits).
int uart_setup(lua_State* L) {
  int id = check_id(L);
  for (int argument = 2; argument <= 3; ++argument) opt_integer(L, argument, 0);
  if (!lua_isnoneornil(L, 4)) luaL_checknumber(L, 4);
  for (int argument = 5; argument <= 10; ++argument) opt_integer(L, argument, 0);
  auto& pins = board(L);
  if (!pins.uart_exists(id)) {
    lua_pushinteger(L, -1);
    return 1;
  }
  if (device::UartPort* port = pins.uart(id)) {
    port->open();
  } else {
    simulated_module(L).note_accepted("uart" + std::to_string(id) + " (not wired: --uart or \"uart\")");
  }
  lua_pushinteger(L, 0);
  return 1;
}

// The bytes of a string, or of a zbuff from its cursor to its end (as the firmware's uart.write).
std::string_view write_argument(lua_State* L) {
  if (buffer::ZBuff* buff = test_zbuff(L, 2)) {
    return buff->text(buff->used(), buff->length() - buff->used());
  }
  return check_view(L, 2);
}

// Hands bytes to the UART: the count, or -1 for no such UART. An unwired one takes them and drops them.
int send_bytes(lua_State* L, int id, std::string_view bytes) {
  auto& pins = board(L);
  if (!pins.uart_exists(id)) {
    lua_pushinteger(L, -1);
    return 1;
  }
  if (device::UartPort* port = pins.uart(id)) {
    if (!port->is_open()) {
      lua_pushinteger(L, -1);
      return 1;
    }
    port->write(bytes);
  }
  lua_pushinteger(L, static_cast<lua_Integer>(bytes.size()));
  return 1;
}

// uart.write(id, data, len) -> bytes handed over.
int uart_write(lua_State* L) {
  int id = check_id(L);
  std::string_view bytes = write_argument(L);
  if (lua_isinteger(L, 3)) {
    lua_Integer limit = lua_tointeger(L, 3);
    if (limit >= 0 && static_cast<std::size_t>(limit) < bytes.size()) bytes = bytes.substr(0, limit);
  }
  return send_bytes(L, id, bytes);
}

// uart.tx(id, zbuff, start, len) -> bytes handed over; 0 without a zbuff or for a start past its end.
int uart_tx(lua_State* L) {
  int id = check_id(L);
  buffer::ZBuff* buff = test_zbuff(L, 2);
  if (buff == nullptr) {
    lua_pushinteger(L, 0);
    return 1;
  }
  lua_Integer start = opt_integer(L, 3, 0);
  lua_Integer length = opt_integer(L, 4, static_cast<lua_Integer>(buff->used()));
  auto size = static_cast<lua_Integer>(buff->length());
  if (start < 0 || start >= size || length < 0) {
    lua_pushinteger(L, 0);
    return 1;
  }
  if (length > size - start) length = size - start;
  return send_bytes(L, id, buff->text(static_cast<std::size_t>(start), static_cast<std::size_t>(length)));
}

device::UartPort* readable_port(lua_State* L, int id) {
  device::UartPort* port = board(L).uart(id);
  return port != nullptr && port->is_open() ? port : nullptr;
}

// uart.read(id, len, zbuff) -> the bytes ("" when none); with a zbuff, the count copied to its cursor.
int uart_read(lua_State* L) {
  int id = check_id(L);
  lua_Integer length = opt_integer(L, 2, kDefaultReadLength);
  buffer::ZBuff* buff = lua_isuserdata(L, 3) ? check_zbuff(L, 3) : nullptr;
  device::UartPort* port = readable_port(L, id);
  if (length < 1 || port == nullptr) {
    if (buff != nullptr) {
      lua_pushinteger(L, 0);
    } else {
      lua_pushliteral(L, "");
    }
    return 1;
  }
  auto limit = static_cast<std::size_t>(std::min<lua_Integer>(length, device::kUartReceiveLimit));
  if (buff != nullptr) limit = std::min(limit, buff->length() - buff->used());
  std::string bytes = port->read(limit);
  if (buff != nullptr) {
    buff->write_at_cursor({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    lua_pushinteger(L, static_cast<lua_Integer>(bytes.size()));
  } else {
    lua_pushlstring(L, bytes.data(), bytes.size());
  }
  return 1;
}

// uart.rx(id, zbuff) -> everything received, appended after the zbuff's cursor (it grows as needed).
int uart_rx(lua_State* L) {
  int id = check_id(L);
  buffer::ZBuff* buff = test_zbuff(L, 2);
  device::UartPort* port = readable_port(L, id);
  if (buff == nullptr || port == nullptr) {
    lua_pushinteger(L, 0);
    return 1;
  }
  std::string bytes = port->read(port->buffered());
  auto room = buff->prepare(bytes.size());
  std::copy(bytes.begin(), bytes.end(), room.begin());
  buff->commit(bytes.size());
  lua_pushinteger(L, static_cast<lua_Integer>(bytes.size()));
  return 1;
}

// uart.rxSize(id) -> bytes waiting.
int uart_rx_size(lua_State* L) {
  device::UartPort* port = readable_port(L, check_id(L));
  lua_pushinteger(L, port != nullptr ? static_cast<lua_Integer>(port->buffered()) : 0);
  return 1;
}

int uart_rx_clear(lua_State* L) {
  if (device::UartPort* port = readable_port(L, check_id(L))) port->clear();
  return 0;
}

// uart.close(id): drops what was received; nothing more is kept until the next setup.
int uart_close(lua_State* L) {
  if (device::UartPort* port = board(L).uart(check_id(L))) port->close();
  return 0;
}

// uart.on(id, "receive" | "recv" | "sent", fn): nothing, or "no such uart id". A non-function clears.
int uart_on(lua_State* L) {
  int id = check_id(L);
  if (!board(L).uart_exists(id)) {
    lua_pushliteral(L, "no such uart id");
    return 1;
  }
  std::string_view event = check_view(L, 2);
  const char* slot = nullptr;
  if (event == "receive" || event == "recv") slot = "receive";
  if (event == "sent") slot = "sent";
  if (slot == nullptr) return 0;
  lua_getfield(L, LUA_REGISTRYINDEX, kCallbacks);
  if (lua_rawgeti(L, -1, id) != LUA_TTABLE) {
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawseti(L, -3, id);
  }
  if (lua_isfunction(L, 3)) {
    lua_pushvalue(L, 3);
  } else {
    lua_pushnil(L);
  }
  lua_setfield(L, -2, slot);
  return 0;
}

// uart.exist(id) -> whether the module has the UART.
int uart_exist(lua_State* L) {
  lua_pushboolean(L, board(L).uart_exists(check_id(L)));
  return 1;
}

// uart.wait485(id) -> 0: the simulated transmitter is never still busy after "sent".
int uart_wait485(lua_State* L) {
  check_id(L);
  lua_pushinteger(L, 0);
  return 1;
}

// netsim.uart(id) -> where the UART is wired (a pty path or "127.0.0.1:PORT"), nil when it is not.
int netsim_uart(lua_State* L) {
  device::UartPort* port = board(L).uart(check_id(L));
  if (port == nullptr) return 0;
  lua_pushlstring(L, port->where().data(), port->where().size());
  return 1;
}

}  // namespace

void open_uart(LuaHost& host, device::SimulatedModule& module) {
  lua_State* L = host.state();
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, kCallbacks);
  for (int id : module.board().wired_uarts()) wire_events(host, module, id, *module.board().uart(id));
  const luaL_Reg functions[] = {{"setup", guarded<uart_setup>},
                                {"write", guarded<uart_write>},
                                {"read", guarded<uart_read>},
                                {"tx", guarded<uart_tx>},
                                {"rx", guarded<uart_rx>},
                                {"rxSize", guarded<uart_rx_size>},
                                {"rx_size", guarded<uart_rx_size>},
                                {"rxClear", guarded<uart_rx_clear>},
                                {"close", guarded<uart_close>},
                                {"on", guarded<uart_on>},
                                {"exist", guarded<uart_exist>},
                                {"wait485", guarded<uart_wait485>},
                                {nullptr, nullptr}};
  new_driver_table(L, functions, module);
  // luat_uart.h's values.
  const std::pair<const char*, int> constants[] = {
      {"Odd", 1},        {"Even", 2},          {"None", 0},    {"ODD", 1},        {"EVEN", 2},
      {"NONE", 0},       {"LSB", 0},           {"MSB", 1},     {"VUART_0", 0x20}, {"VUART_1", 0x21},
      {"VUART_2", 0x22}, {"ERROR_DROP", 0xD6}, {"DEBUG", 0x3E}};
  for (const auto& [name, value] : constants) set_integer_field(L, name, value);
  lua_setglobal(L, "uart");
  if (lua_getglobal(L, "netsim") == LUA_TTABLE) {
    lua_pushlightuserdata(L, &module);
    lua_pushcclosure(L, guarded<netsim_uart>, 1);
    lua_setfield(L, -2, "uart");
  }
  lua_pop(L, 1);
}

}  // namespace luatnet::lua
