-- zbuff at the end of its life and at the edges of its arguments, and json numbers: a zbuff a finalizer
-- reaches after its own __gc ran, or collected twice through the debug library, is an empty, released
-- object that every use refuses with a clear error; huge offsets and lengths clamp without overflowing;
-- freed buffers are no null pointers for memcpy. The suite runs under ASan/UBSan: before the fixes each
-- of these crashed or read freed memory.
local check = require "check"

-- a finalizer that runs after the zbuff's own __gc (finalizers run in reverse order of marking, so the
-- zbuff, created second, is finalized first) and uses it
local seen = {}
do
    local probe = setmetatable({}, { __gc = function(self)
        local buff = self.buff
        seen.read = table.pack(pcall(function() return buff:read(16) end))
        seen.write = table.pack(pcall(function() return buff:write("overwrite freed memory") end))
        seen.index = table.pack(pcall(function() return buff[0] end))
        seen.len = table.pack(pcall(function() return #buff end))
        seen.direct = table.pack(pcall(zbuff.create(1).toStr, buff))
        seen.text = tostring(buff)
    end })
    probe.buff = zbuff.create(4096, 0x41)
    probe.buff:seek(0)
end
collectgarbage()
collectgarbage()
check.eq(seen.read[1], false, "read on a collected zbuff is refused")
check.truthy(tostring(seen.read[2]):find("collected", 1, true), "with a clear error: " .. tostring(seen.read[2]))
check.eq(seen.write[1], false, "write on a collected zbuff is refused")
check.eq(seen.index[1], false, "indexing a collected zbuff is refused")
check.eq(seen.len[1], false, "# of a collected zbuff is refused")
check.eq(seen.direct[1], false, "a method called directly on a collected zbuff is refused")
check.truthy(tostring(seen.direct[2]):find("collected", 1, true), "by its type: " .. tostring(seen.direct[2]))
check.truthy(tostring(seen.text):find("collected", 1, true), "tostring says it was collected")

-- __gc called by hand through the debug library, twice
local z = zbuff.create(64)
local gc = debug.getmetatable(z).__gc
gc(z)
check.raises("collected", "a second __gc is refused, not a double free", gc, z)
check.raises("collected", "the buffer is unusable after __gc", function() return z:toStr() end)
check.raises("zbuff", "as a source for another buffer it is no zbuff", zbuff.create(1).copy, zbuff.create(4), 0, z)

-- a type's metatable put on another userdata through the debug library does not make it that type: the
-- bindings check the type each object was made with (before, a file handle passed for a zbuff and a
-- zbuff for a ctrl, and their memory was read as the other type's)
local zbuffMeta = debug.getmetatable(zbuff.create(1))
local file = io.open("fake_zbuff.bin", "w")
local fileMeta = debug.getmetatable(file)
debug.setmetatable(file, zbuffMeta)
check.raises("ZBUFF* expected", "a file with the zbuff metatable is no zbuff", function() return file:read(1) end)
check.raises("ZBUFF* expected", "nor for tostring", tostring, file)
check.raises("zbuff", "nor as the source of a copy", zbuff.create(4).copy, zbuff.create(4), 0, file)
check.raises("ZBUFF* expected", "its __gc refuses it, without touching the file", zbuffMeta.__gc, file)
debug.setmetatable(file, fileMeta)
check.eq(file:write("still a file"), file, "the file is untouched")
file:close()
local ctrl = socket.create(nil, function() end)
local ctrlMeta = debug.getmetatable(ctrl)
local fakeCtrl = zbuff.create(64, 0x7f)
debug.setmetatable(fakeCtrl, ctrlMeta)
check.eq(select("#", socket.tx(fakeCtrl, "data")), 0, "a zbuff with the ctrl metatable is no ctrl: tx returns nothing")
check.eq(select("#", socket.state(fakeCtrl)), 0, "state returns nothing")
check.raises("NWCTRL* expected", "tostring refuses it", tostring, fakeCtrl)
ctrlMeta.__gc(fakeCtrl) -- release leaves alone what is no ctrl
debug.setmetatable(fakeCtrl, zbuffMeta)
check.eq(fakeCtrl:toStr(0, 2), "\x7f\x7f", "and the zbuff is untouched by it")
check.eq(select("#", socket.state(ctrl)), 2, "the real ctrl still passes")
socket.release(ctrl)

-- huge arguments: clamped, no signed overflow
local b = zbuff.create(16, "0123456789")
check.eq(b:seek(math.maxinteger, zbuff.SEEK_CUR), 16, "seek(maxinteger, SEEK_CUR) clamps to the length")
check.eq(b:seek(math.maxinteger, zbuff.SEEK_END), 16, "seek(maxinteger, SEEK_END) clamps to the length")
check.eq(b:seek(math.mininteger, zbuff.SEEK_END), 0, "seek(mininteger, SEEK_END) clamps to 0")
check.eq(b:seek(math.mininteger, zbuff.SEEK_CUR), 0, "seek(mininteger, SEEK_CUR) clamps to 0")
b:seek(10)
check.eq(b:query(1, math.maxinteger), "123456789", "query(1, maxinteger) gives the rest of the used part")
check.eq(b:query(math.maxinteger, math.maxinteger), nil, "query from beyond the end gives nil")
check.eq(b:query(math.mininteger, 2), nil, "query from far before the start gives nil")
check.eq(b:toStr(math.maxinteger, math.maxinteger), "", "toStr with huge start and length")
check.eq(select(1, b:isEqual(math.maxinteger, b, math.maxinteger, math.maxinteger)), false, "isEqual with huge ranges")
check.raises("out of range", "copy to a huge offset is an argument error", b.copy, b, math.maxinteger, "x")

-- freed buffers: empty, usable, and no null pointer reaches memcpy
local source, target = zbuff.create(4), zbuff.create(8)
source:free()
target:free()
check.eq(source:toBase64(target), 0, "toBase64 from and into freed buffers writes nothing")
check.eq(zbuff.create(3, "abc"):toBase64(target), 0, "toBase64 into a freed buffer: no room")
check.eq(source:toStr(), "", "toStr of a freed buffer")
check.eq(source:query(), nil, "query of a freed buffer")
check.eq(select(1, source:isEqual(0, target, 0, 0)), true, "isEqual of two empty ranges")

-- json numbers keep every digit their format asks for
check.eq(json.encode(-1e300, "2f"), string.format("%.2f", -1e300), "json.encode(-1e300, \"2f\") is complete")
check.eq(json.encode({ 1.5e200 }, "14f"), "[" .. string.format("%.14f", 1.5e200) .. "]", "inside a table too")
check.done(38)
