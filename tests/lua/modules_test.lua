-- json, crypto, string helpers, rtos/mcu and the log line format as scripts see them.
local check = require "check"
local host = require "luatnet.host"

-- json
local encoded = json.encode({ 1, 2, "three", true })
check.eq(encoded, '[1,2,"three",true]', "array encoding")
check.eq(json.encode({}), "{}", "empty table is an object")
check.eq(json.encode({ a = "x/y" }), '{"a":"x\\/y"}', "cjson escapes the slash")
check.eq(json.encode(1.5), "1.5", "float")
check.eq(json.encode(0.1, "3f"), "0.100", "float format argument")
local decoded, result = json.decode('{"n":12,"f":2.5,"s":"\\u00e9","a":[1,{"b":null}],"t":true}')
check.eq(result, 1, "decode result 1")
check.eq(math.type(decoded.n), "integer", "integers stay integers")
check.eq(decoded.f, 2.5, "float value")
check.eq(decoded.s, "\xc3\xa9", "unicode escape to UTF-8")
check.eq(decoded.a[2].b, json.null, "null is json.null")
check.eq(decoded.t, true, "boolean")
local round = json.decode(json.encode({ list = { 3, 4 }, name = "n" }))
check.eq(round.list[2], 4, "round trip")

-- crypto and string helpers
check.eq(crypto.md5("abc"), "900150983CD24FB0D6963F7D28E17F72", "md5 upper-case hex")
check.eq(crypto.sha1("abc"), "A9993E364706816ABA3E25717850C26C9CD0D89D", "sha1")
check.eq(crypto.sha256(""), "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", "sha256")
check.eq(crypto.hmac_sha256("data", "key"),
    "5031FE3D989C6D1537A013FA6E739DA23463FDAEC3B70137D828E36ACE221BD0", "hmac_sha256")
check.eq(crypto.hmac_md5("data", "key"), "9D5C73EF85594D34EC4438B7C97E51D8", "hmac_md5")
check.eq(crypto.base64_encode("hello"), "aGVsbG8=", "base64 encode")
check.eq(crypto.base64_decode("aGVsbG8="), "hello", "base64 decode")
local hex, length = string.toHex("\1\171")
check.eq(hex, "01AB", "toHex")
check.eq(length, 4, "toHex length")
check.eq(string.toHex("\1\2", " "), "01 02 ", "toHex with separator")
check.eq(string.fromHex("01ab"), "\1\171", "fromHex")
local parts = string.split("a,b,,c", ",")
check.eq(#parts, 3, "split drops empty parts")
check.eq(parts[3], "c", "split piece")
check.eq(#string.split("a,b,,c", ",", true), 4, "split keeps empty parts when asked")
check.eq(("x-y"):split("-")[2], "y", "split as a string method")

-- io helpers from LuatOS (on a device path: the test's own --fs folder)
local file = "/modules_test.bin"
check.eq(io.writeFile(file, "abc\0def"), true, "io.writeFile")
check.eq(io.readFile(file), "abc\0def", "io.readFile keeps binary data")
check.eq(io.exists(file), true, "io.exists")
check.eq(io.fileSize(file), 7, "io.fileSize")
os.remove(file)
check.eq(io.exists(file), false, "io.exists on a missing file")
check.eq(io.readFile(file), nil, "io.readFile on a missing file is nil")

-- rtos / mcu
check.eq(rtos.bsp(), "PC", "rtos.bsp")
local t0 = mcu.ticks()
check.eq(math.type(t0), "integer", "mcu.ticks is an integer")
local total, used = rtos.meminfo()
check.truthy(total > 0 and used > 0, "meminfo reports the Lua heap")

-- log line format, checked in a child run writing to a log file
local bin = os.getenv("LUATNET_BIN")
check.truthy(bin ~= nil, "LUATNET_BIN is set by the test runner")
local dir = os.tmpname()
host.remove(dir)
local script, logfile = dir .. ".lua", dir .. ".log"
local f = host.open(script, "w")
f:write([[
log.info("tag", "a", 1, nil)
log.debug("dbg", "shown")
log.setLevel("WARN")
log.info("tag", "hidden")
log.warn("w", "kept")
log.style(1)
log.error("e", "x")
log.setLevel("SILENT")
log.error("e", "silenced")
]])
f:close()
local rc = os.execute(bin .. " --log " .. logfile .. " " .. script)
check.truthy(rc, "child run succeeded")
local lines = {}
for line in host.lines(logfile) do lines[#lines + 1] = line end
check.eq(lines[1], "I/user.tag\ta\t1\tnil", "level letter, user.tag, tab-joined values")
check.eq(lines[2], "D/user.dbg\tshown", "debug shown at the default level")
check.eq(lines[3], "W/user.w\tkept", "setLevel hides lower levels")
check.eq(lines[4], script:match("[^/]+$") .. ":7" and ("E/" .. script:match("[^/]+$") .. ":7\te\tx"),
    "style 1 puts the position first")
check.eq(#lines, 4, "SILENT stops logging")
host.remove(script)
host.remove(logfile)
check.done(43)
