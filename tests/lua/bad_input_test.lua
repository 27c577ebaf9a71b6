-- Wrong types and absurd values for sys, zbuff, log, json and crypto: a Lua error that names the
-- argument (or the documented nil/false), never a crash. Run under ASan in CI.
local check = require "check"

local z = zbuff.create(4)
local calls = {
    { "sys.taskInit", "#1", sys.taskInit, 42 },
    { "sys.timerStart fn", "#1", sys.timerStart, nil, 10 },
    { "sys.timerStart ms", "#2", sys.timerStart, print, "10" },
    { "sys.timerLoopStart", "#2", sys.timerLoopStart, print, {} },
    { "sys.subscribe", "#2", sys.subscribe, "T", 5 },
    { "zbuff.create", "#1", zbuff.create, "ten" },
    { "zbuff.create fill", "#2", zbuff.create, 4, {} },
    { "zbuff.create table", "#1", zbuff.create, { 1, 2, 3 } },
    { "zb:write", "#2", z.write, z, {} },
    { "zb:write self", "#1", z.write, "not a zbuff", "x" },
    { "zb:read", "#2", z.read, z, "many" },
    { "zb:seek", "#2", z.seek, z, nil },
    { "zb:seek whence", "#3", z.seek, z, 0, 9 },
    { "zb:pack", "#2", z.pack, z, nil },
    { "zb:pack value", "#3", z.pack, z, "I", "x" },
    { "zb:unpack", "#2", z.unpack, z, 5.5 },
    { "zb:resize", "#2", z.resize, z, -1 },
    { "zb:resize type", "#2", z.resize, z, "big" },
    { "zb:copy", "#3", z.copy, z, 0, {} },
    { "zb:isEqual", "#3", z.isEqual, z, 0, "abc" },
    { "zb:toBase64", "#2", z.toBase64, z, nil },
    { "zb[i] = x", "#3", function() z[0] = "x" end },
    { "zb:writeU8", "#2", z.writeU8, z, "x" },
    { "zb:query", "#2", z.query, z, {} },
    { "log.info tag", "#1", log.info, {} },
    { "log.setLevel", "#1", log.setLevel, {} },
    { "log.setLevel name", "#1", log.setLevel, "LOUD" },
    { "log.style", "#1", log.style, 9 },
    { "json.decode", "#1", json.decode, nil },
    { "json.encode", "#2", json.encode, {}, "zz" },
    { "crypto.md5", "#1", crypto.md5, nil },
    { "crypto.hmac_sha256 key", "#2", crypto.hmac_sha256, "data", nil },
    { "string.toHex", "#1", string.toHex, {} },
    { "string.split delimiter", "#2", string.split, "a,b", {} },
    { "rtos.timer_start", "#2", rtos.timer_start, 1, "x" },
}
for _, case in ipairs(calls) do
    local name, fragment, fn = case[1], case[2], case[3]
    check.raises(fragment, name .. " raises an argument error", fn, table.unpack(case, 4))
end

local inTask = sys.taskInit(function()
    check.raises("#1", "sys.wait with a string inside a task", sys.wait, "soon")
    check.raises("#1", "sys.waitUntil timeout must be a number", sys.waitUntil, "T", "soon")
end)
check.eq(coroutine.status(inTask), "dead", "the task finished after its checks")

-- documented soft returns
check.eq(zbuff.create(-5), nil, "negative zbuff length gives nil")
check.eq(z:toStr(0, -1), "", "negative toStr length gives an empty string")
check.eq(z:copy(-100, "x"), 0, "copy before the start writes nothing")
local value, ok, err = json.decode("{broken")
check.eq(value, nil, "bad JSON decodes to nil")
check.eq(ok, 0, "with result 0")
check.eq(type(err), "string", "and a message")
local text, why = json.encode({ f = print })
check.eq(text, nil, "a function cannot be encoded")
check.truthy(why and why:find("function", 1, true), "the message names the type")
local nested = string.rep("[", 5000) .. string.rep("]", 5000)
check.raises("nesting", "very deep JSON is refused", json.decode, nested)
-- errors raised in the middle of a binding's work (the C build of Lua unwinds with longjmp)
local loud = setmetatable({}, { __tostring = function() error("no text for you") end })
check.raises("no text for you", "a __tostring that raises reaches the caller of log.info", log.info, "tag", 1, loud)
log.info("tag", "log still works after it")
check.raises("bad format code 'Q'", "an unknown pack code is named", z.pack, z, "Q", 1)
local netc = socket.create(nil, function() end)
check.raises("#11", "socket.config checks its last TLS argument", socket.config, netc, 0, false, true, nil, nil, nil,
    "ca", "cert", "key", {})
check.raises("#3", "socket.connect checks the port after the host", socket.connect, netc, "example.invalid", "x")
check.raises("#3", "socket.setDNS checks the server", socket.setDNS, nil, 1, {})
socket.release(netc)
check.eq(string.fromHex("zz4"), "", "non-hex text gives no bytes")
check.eq(crypto.base64_decode("!!!"), "", "invalid base64 decodes to an empty string")
check.eq(#string.split("a,b", ""), 2, "an empty split delimiter is taken as ',' (as the firmware)")
-- luatnet.host's hook for sys is reachable from scripts: tables of the wrong shape are refused, and sys's
-- own hand-over stays in place
local host = require "luatnet.host"
check.raises("parked_for", "set_mailbox_delivery refuses a field of the wrong type", host.set_mailbox_delivery,
    { send = print, delivery = print, parked = {}, parked_for = 1, parked_drops = {}, handed = 1, failed = print })
check.raises("handed", "set_mailbox_delivery refuses a missing field", host.set_mailbox_delivery,
    { send = print, delivery = print, parked = {}, parked_for = {}, parked_drops = {}, failed = print })
check.done(#calls + 22)
