-- mcu (luat_lib_mcu.c): x32, hz, tick64/dtick64 and ticks2 on a microsecond counter, unique_id stable
-- per machine (checked against an HMAC computed by Python from /etc/machine-id, and across runs).
local check = require "check"

check.eq(mcu.x32(0x2009FFFC), "0x2009fffc", "x32, the firmware's example")
check.eq(mcu.x32(0), "0x0", "x32 has no padding")
check.eq(mcu.x32(-1), "0xffffffff", "x32 of a negative value is its 32-bit pattern")
check.eq(mcu.x32(0x123456789), "0x23456789", "x32 keeps the low 32 bits")
check.raises("#1", "x32 of a string", mcu.x32, "x")
check.eq(mcu.hz(), 1000, "hz: ticks are milliseconds")

local t1, perUs = mcu.tick64()
check.eq(#t1, 8, "tick64 is 8 bytes")
check.eq(perUs, 1, "one tick per microsecond")
local wide = mcu.tick64(true)
check.eq(#wide, 9, "tick64(true) is the 9-byte bit64 form")
check.eq(wide:byte(9), 0, "whose type byte says integer")
local startMs = mcu.ticks()
while mcu.ticks() - startMs < 30 do end
local t2 = mcu.tick64()
local later, elapsed = mcu.dtick64(t2, t1)
check.eq(later, true, "dtick64: the later tick is not smaller")
check.truthy(elapsed >= 29000 and elapsed < 2000000, "dtick64 difference in microseconds: " .. elapsed)
local _, elapsedCheck = pack.unpack(t2, "<L")
local _, firstCheck = pack.unpack(t1, "<L")
check.eq(elapsedCheck - firstCheck, elapsed, "tick64 is a little-endian uint64")
check.eq((mcu.dtick64(t1, t2)), false, "dtick64 the other way round is negative")
check.eq(select(2, mcu.dtick64(t2, t1, elapsed + 1)), elapsed, "dtick64 with a reference")
check.eq((mcu.dtick64(t2, t1, elapsed + 1)), false, "below the reference")
check.raises("too long", "dtick64 of a longer string", mcu.dtick64, "123456789", t1)

local usHigh, usLow = mcu.ticks2(0)
local _, nowUs = pack.unpack(mcu.tick64(), "<L")
check.truthy(usLow >= 0 and usLow < 1000000, "ticks2(0) low part under 10^6")
check.truthy(math.abs(usHigh * 1000000 + usLow - nowUs) < 1000000, "ticks2(0) agrees with tick64")
local msHigh, msLow = mcu.ticks2(1)
check.truthy(math.abs(msHigh * 1000000 + msLow - mcu.ticks()) <= 5, "ticks2(1) agrees with ticks")
local sHigh, sLow = mcu.ticks2(2)
check.eq(sHigh * 1000000 + sLow, mcu.ticks() // 1000, "ticks2(2) counts seconds")
check.eq(select("#", mcu.ticks2(3)), 0, "an unknown ticks2 mode returns nothing")

local id = mcu.unique_id()
check.eq(#id, 16, "unique_id is 16 bytes")
check.eq(mcu.unique_id(), id, "unique_id is stable within a run")
local function run(command)
    local pipe = io.popen("timeout 20 " .. command)
    local out = pipe:read("*a")
    pipe:close()
    return (out:gsub("%s+$", ""))
end
local expected = run([[/usr/bin/python3 -c "import hmac,hashlib;m=open('/etc/machine-id').read().split()[0];]] ..
    [[print(hmac.new(b'luatnet mcu.unique_id',m.encode(),hashlib.sha256).hexdigest()[:32].upper())"]])
check.eq(id:toHex(), expected, "unique_id is the keyed hash of the machine id")
local script = os.tmpname()
local host = require "luatnet.host"  -- a script for another luatnet: a host file
local f = host.open(script, "w")
f:write("print((mcu.unique_id():toHex()))\n")
f:close()
check.eq(run(os.getenv("LUATNET_BIN") .. " " .. script), id:toHex(), "unique_id is the same in another run")
host.remove(script)

check.eq(select("#", mcu.hardfault(0)), 0, "hardfault is accepted and does nothing")
check.raises("#1", "hardfault mode must be an integer", mcu.hardfault, "x")

check.done(28)
