-- fskv, the firmware's key-value store: values keep their types, sett edits tables, iteration in name
-- order, limits, status and clear; its file lies in the --fs folder. (tests/cli/runner_test.sh runs
-- luatnet twice to check that values survive a restart, and feeds it a damaged store file.)
local check = require "check"
local host = require "luatnet.host"

check.eq(select("#", fskv.get("k")), 0, "before fskv.init, get returns nothing (the firmware logs an error)")
check.eq(select("#", fskv.set("k", 1)), 0, "and set too")
check.eq(fskv.init(), true, "fskv.init")
check.eq(fskv.init(), true, "a second init is fine")
check.eq(fdb, fskv, "fdb is the same module, as in the firmware")

check.eq(fskv.set("bool", false), true, "set a boolean")
check.eq(fskv.get("bool"), false, "boolean back")
check.eq(fskv.set("int", -1234567890123), true, "set an integer")
check.eq(math.type(fskv.get("int")), "integer", "integer stays an integer")
check.eq(fskv.get("int"), -1234567890123, "integer back")
check.eq(fskv.set("float", 1.5), true, "set a float")
check.eq(fskv.get("float"), 1.5, "float back")
fskv.set("tenth", 0.1)
check.near(fskv.get("tenth"), 0.1, 1e-7, "floats are kept as 32-bit floats, as the firmware does")
check.truthy(fskv.get("tenth") ~= 0.1, "(so 0.1 comes back as the nearest float)")
check.eq(fskv.set("str", "a\0b"), true, "set a binary string")
check.eq(fskv.get("str"), "a\0b", "string back")
check.eq(fskv.set("tbl", { name = "luatnet", n = 3 }), true, "set a table")
local t = fskv.get("tbl")
check.truthy(type(t) == "table" and t.name == "luatnet" and t.n == 3, "table back")
check.eq(fskv.get("tbl", "name"), "luatnet", "get with a field of a table")
check.eq(fskv.get("str", "name"), "a\0b", "the field is ignored for other types")

-- sett
check.eq(fskv.sett("cfg", "host", "example.com"), true, "sett on a missing key makes a table")
check.eq(fskv.sett("cfg", "port", 1883), true, "sett adds a field")
check.eq(fskv.get("cfg", "port"), 1883, "the field is there")
check.eq(fskv.sett("cfg", "host", nil), true, "sett with nil removes a field")
check.eq(fskv.get("cfg").host, nil, "field removed")
check.eq(fskv.get("cfg").port, 1883, "the other field stays")
fskv.set("plain", "text")
fskv.sett("plain", "x", 1)
check.eq(fskv.get("plain").x, 1, "sett over a non-table value replaces it with a table")
check.eq(select("#", fskv.sett("cfg", "x")), 0, "sett without a value returns nothing")

-- refused values and keys
check.eq(fskv.set("nil", nil), false, "nil cannot be stored")
check.eq(fskv.set("fn", print), false, "a function cannot be stored")
check.eq(fskv.set("big", string.rep("x", 4096)), false, "a value over 4096 bytes is refused")
check.eq(fskv.set("fits", string.rep("x", 4095)), true, "4095 bytes fit (one more for the type)")
check.eq(fskv.set(string.rep("k", 64), 1), false, "a key over 63 bytes is refused")
check.eq(fskv.set("", 1), false, "an empty key is refused")
check.eq(fskv.set("a/b", 1), false, "a key with / is refused")
check.eq(fskv.get("missing"), nil, "a missing key is nil")

-- delete, iterate, status, clear
check.eq(fskv.del("bool"), true, "del")
check.eq(fskv.get("bool"), nil, "deleted")
check.eq(fskv.del("bool"), true, "deleting a missing key is fine")
local keys = {}
local iter = fskv.iter()
while true do
    local key = fskv.next(iter)
    if not key then break end
    keys[#keys + 1] = key
end
check.eq(table.concat(keys, ","), "cfg,fits,float,int,plain,str,tbl,tenth", "iter/next in name order")
local used, total, count = fskv.status()
check.eq(count, 8, "status counts the keys")
check.eq(total, 64 * 1024, "64 KiB in all")
check.truthy(used > 4095 and used < total, "used covers the stored bytes")
check.eq(select(3, fskv.stat()), 8, "stat is status")
check.eq(fskv.kv_get("int"), -1234567890123, "kv_* names work")

local file = host.open(host.fs_root .. "/fskv.bin", "rb")
check.truthy(file ~= nil, "the store is fskv.bin in the --fs folder")
if file then file:close() end
check.eq(io.exists("/fskv.bin"), true, "which the script sees as /fskv.bin, like the simulator's working folder")

-- the store fills up like the firmware's 64 KiB region
local stored = 0
for i = 1, 40 do
    if fskv.set("fill" .. i, string.rep("y", 4000)) then stored = stored + 1 end
end
check.truthy(stored > 10 and stored < 16, "set fails once 64 KiB are used (" .. stored .. " of 40 fitted)")

check.eq(fskv.clear(), true, "clear")
check.eq(select(3, fskv.status()), 0, "nothing left")
check.eq(fskv.next(fskv.iter()), nil, "nothing to iterate")

-- wrong argument types
check.raises("bad argument #1", "set with a table key", fskv.set, {}, 1)
check.raises("bad argument #1", "get without a key", fskv.get)
check.raises("bad argument #2", "sett with a table field name", fskv.sett, "k", {}, 1)
check.raises("fskv iterator expected", "next with something else", fskv.next, "x")
check.raises("fskv iterator expected", "next with a zbuff", fskv.next, zbuff.create(4))

check.done(56)
