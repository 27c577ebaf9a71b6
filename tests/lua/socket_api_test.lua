-- The socket API's constants, adapter functions and its answers to bad input: nil and released ctrls,
-- wrong types, out-of-range ports and counts. Run under ASan in CI.
local check = require "check"

-- constants as in the firmware
check.eq(socket.LINK, 0x2000010, "LINK")
check.eq(socket.ON_LINE, 0x2000011, "ON_LINE")
check.eq(socket.TX_OK, 0x2000012, "TX_OK")
check.eq(socket.CLOSED, 0x2000013, "CLOSED")
check.eq(socket.EVENT, 0x2000014, "EVENT")
check.eq(socket.LWIP_GP, 1, "LWIP_GP")
check.eq(socket.LWIP_STA, 2, "LWIP_STA")
check.eq(socket.LWIP_AP, 3, "LWIP_AP")
check.eq(socket.LWIP_ETH, 4, "LWIP_ETH")
check.eq(socket.LWIP_SPI, 5, "LWIP_SPI")
check.eq(socket.LWIP_USER0, 7, "LWIP_USER0")
check.eq(socket.LWIP_USER7, 14, "LWIP_USER7")
check.eq(socket.LWIP_GP_GW, 15, "LWIP_GP_GW")
check.eq(socket.LWIP_USB, 16, "LWIP_USB")
check.eq(socket.USB, socket.LWIP_USB, "USB is the lwIP USB NIC")
check.eq(socket.ETH0, 17, "ETH0")

-- adapters: ETH0 on the host is registered, ready and the default
local dft, last = socket.dft()
check.eq(dft, socket.ETH0, "dft() is ETH0")
check.eq(last, socket.ETH0, "last registered is ETH0")
check.eq(select(1, socket.adapter(socket.ETH0)), true, "ETH0 is ready")
check.eq(select(1, socket.adapter(socket.LWIP_GP)), false, "LWIP_GP is not mapped")
local ready, index = socket.adapter()
check.eq(ready, true, "adapter() finds a ready adapter")
check.eq(index, socket.ETH0, "and names it")
local ip, mask, gateway = socket.localIP()
check.truthy(type(ip) == "string" and ip:match("^%d+%.%d+%.%d+%.%d+$"), "localIP address " .. tostring(ip))
check.truthy(type(mask) == "string" and type(gateway) == "string", "mask and gateway")
check.eq(socket.localIP(socket.LWIP_GP), nil, "localIP of an absent adapter is nil")
check.eq(socket.setDNS(nil, 1, "127.0.0.1"), true, "setDNS on the default adapter")
check.eq(socket.setDNS(socket.LWIP_GP, 1, "127.0.0.1"), false, "setDNS on an absent adapter")
check.eq(socket.close_all("eth"), false, "close_all with a non-number")
check.eq(socket.close_all(99), false, "close_all out of range")
check.eq(socket.close_all(socket.ETH0), true, "close_all on ETH0")
check.eq(socket.rx_cache(10), 10, "rx_cache sets a value in 6..48")
check.eq(socket.rx_cache(100), 10, "rx_cache ignores values out of range")
check.eq(socket.dft(socket.LWIP_GP), socket.LWIP_GP, "dft(id) changes the default")
check.eq(socket.create(), nil, "create on an unmapped default adapter is nil")
socket.dft(socket.ETH0)

-- create
check.eq(socket.create(99), nil, "adapter out of range")
check.eq(socket.create(-1), nil, "negative adapter")
check.eq(socket.create(socket.LWIP_STA), nil, "adapter not registered")
check.raises("#1", "adapter must be a number", socket.create, "ETH0")
check.raises("#2", "receiver must be a function or a task name", socket.create, nil, {})
local ctrl = socket.create(nil, "some_task")
check.eq(type(ctrl), "userdata", "create returns a ctrl")
check.eq(socket.state(ctrl), 0, "a fresh ctrl is in state 0")
check.eq(select(2, socket.state(ctrl)), "硬件离线", "with the firmware's description")
check.truthy(tostring(ctrl):find("NWCTRL*", 1, true), "tostring names the type")

-- config
check.eq(socket.config(ctrl), true, "plain TCP config")
check.raises("#2", "local port 70000", socket.config, ctrl, 70000)
check.raises("#2", "local port 60000 (must be below 60000)", socket.config, ctrl, 60000)
check.raises("#2", "local port of the wrong type", socket.config, ctrl, "eighty")
check.raises("#5", "keep_idle of the wrong type", socket.config, ctrl, nil, nil, nil, "sixty")
check.raises("#8", "certificate of the wrong type", socket.config, ctrl, nil, nil, nil, nil, nil, nil, {})
check.eq(socket.config(ctrl, 0, false, false, 60, 10, 3), true, "keepalive config")

-- connect / tx / listen argument checks
check.raises("#3", "connect needs a port", socket.connect, ctrl, "127.0.0.1")
check.raises("#3", "port above 65535", socket.connect, ctrl, "127.0.0.1", 65536)
check.raises("#3", "port 70000", socket.connect, ctrl, "127.0.0.1", 70000)
check.raises("#2", "host of the wrong type", socket.connect, ctrl, {}, 80)
check.raises("#2", "tx data of the wrong type", socket.tx, ctrl, {})
check.raises("#2", "listen count above 8", socket.listen, ctrl, 9)
check.raises("#2", "listen count out of range", socket.listen, ctrl, 9)
local ok, full, done = socket.tx(ctrl, "not connected")
check.eq(ok, false, "tx before connect fails")
check.eq(select(1, socket.rx(ctrl)), false, "rx before connect fails")
check.eq(select(1, socket.read(ctrl)), false, "read before connect fails")
check.eq(select(1, socket.wait(ctrl)), false, "wait before connect fails")
local dOk, dDone = socket.discon(ctrl)
check.truthy(dOk and dDone, "discon with nothing open is done at once")
check.eq(socket.remoteIP(ctrl), nil, "remoteIP with nothing resolved")
local linkOk, linkDone = socket.linkup(ctrl)
check.truthy(linkOk and linkDone, "linkup on a ready adapter is done at once")
check.eq(socket.state(ctrl), 1, "and the ctrl is offline")

-- nil and released ctrls: every function returns nothing
local functions = { "debug", "config", "linkup", "connect", "discon", "close", "tx", "rx", "read", "wait",
    "listen", "accept", "state", "release" }
socket.release(ctrl)
socket.release(ctrl) -- twice is harmless
for _, name in ipairs(functions) do
    check.eq(select("#", socket[name](ctrl, "x", 1)), 0, name .. " on a released ctrl returns nothing")
    check.eq(select("#", socket[name](nil)), 0, name .. " on nil returns nothing")
end
check.eq(select("#", socket.remoteIP(nil)), 4, "remoteIP(nil) gives four nils")
collectgarbage()
check.done(66 + 2 * #functions)
