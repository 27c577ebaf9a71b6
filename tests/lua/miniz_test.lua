-- miniz (luat_lib_miniz.c) on zlib: streams checked both ways against Python's zlib (fixed vectors and
-- live runs), the zlib/raw framing flags, the firmware's 32 KiB input limit and its output-buffer limit,
-- and corrupt, truncated or bomb input giving nil in bounded time and memory.
local check = require "check"

local function python(code, inputPath)
    local pipe = io.popen(string.format("timeout 20 /usr/bin/python3 -c %q %s", code, inputPath or ""))
    local out = pipe:read("*a")
    pipe:close()
    return out
end
local host = require "luatnet.host"  -- Python reads host files
local function writeTemp(data)
    local path = os.tmpname()
    local f = host.open(path, "wb")
    f:write(data)
    f:close()
    return path
end
-- Python's own decompression of `data` (wbits 15: zlib, -15: raw), as hex.
local function pythonInflate(data, wbits)
    local path = writeTemp(data)
    local out = python("import sys,zlib;print(zlib.decompress(open(sys.argv[1],'rb').read()," .. wbits .. ").hex())", path)
    host.remove(path)
    return out:gsub("%s", ""):upper()
end
local function pythonDeflated(expression)
    return string.fromHex(python("import zlib;print(" .. expression .. ".hex())"))
end

check.eq(miniz.WRITE_ZLIB_HEADER, 0x1000, "WRITE_ZLIB_HEADER")
check.eq(miniz.PARSE_ZLIB_HEADER, 1, "PARSE_ZLIB_HEADER")
check.eq(miniz.FORCE_ALL_RAW_BLOCKS, 0x80000, "FORCE_ALL_RAW_BLOCKS")
check.eq(miniz.RLE_MATCHES, 0x10000, "RLE_MATCHES")

-- the firmware's usage example, checked by Python
local bigdata = "123jfoiq4hlkfjbnasdilfhuqwo;hfashfp9qw38hrfaios;hfiuoaghfluaeisw"
local cdata = miniz.compress(bigdata)
check.eq(cdata:byte(1), 0x78, "compress writes a zlib header by default")
check.eq(pythonInflate(cdata, 15), bigdata:toHex(), "Python's zlib inflates our stream")
check.eq(miniz.uncompress(cdata), bigdata, "uncompress round trip")
local text = string.rep("hello luatnet ", 50)
check.eq(miniz.uncompress(string.fromHex("789CCB48CDC9C957C8294D2CC94B2D51C818E58DF2860C0F0043CC09E2")), text,
    "uncompress a stream from Python's zlib.compress")
local raw = miniz.compress(text, 0)
check.truthy(raw:byte(1) ~= 0x78 and #raw < #text, "flags 0 give raw deflate")
check.eq(pythonInflate(raw, -15), text:toHex(), "Python inflates our raw deflate")
check.eq(miniz.uncompress(raw, 0), text, "raw round trip with flags 0 (upstream 055.miniz)")
check.eq(miniz.uncompress(string.fromHex("2B4A2C5748494DCB492C495548492C4954281A15A0540000"), 0),
    string.rep("raw deflate data ", 20), "uncompress raw deflate from Python")
check.eq(miniz.uncompress(raw), nil, "raw deflate read as zlib fails the header check")
local stored = miniz.compress(text, miniz.WRITE_ZLIB_HEADER | miniz.FORCE_ALL_RAW_BLOCKS)
check.truthy(#stored > #text, "FORCE_ALL_RAW_BLOCKS stores")
check.eq(miniz.uncompress(stored), text, "stored blocks round trip")
for _, flag in ipairs({ miniz.RLE_MATCHES, miniz.FILTER_MATCHES, miniz.FORCE_ALL_STATIC_BLOCKS,
    miniz.GREEDY_PARSING_FLAG | 128, 4095 }) do
    local c = miniz.compress(text, miniz.WRITE_ZLIB_HEADER | flag)
    check.eq(pythonInflate(c, 15), text:toHex(), string.format("flags 0x%X give a valid stream", flag))
end
local binary = crypto.trng(128):rep(64)
check.eq(miniz.uncompress(miniz.compress(binary)), binary, "binary round trip")
check.eq(miniz.uncompress(miniz.compress("")), "", "empty round trip")

-- limits: 32 KiB of input, miniz's TDEFL_OUT_BUF_SIZE (85196 bytes) of output
check.truthy(miniz.compress(string.rep("x", 32 * 1024)) ~= nil, "32 KiB compresses")
check.eq(miniz.compress(string.rep("x", 32 * 1024 + 1)), nil, "over 32 KiB is nil")
check.eq(miniz.uncompress(string.rep("x", 32 * 1024 + 1)), nil, "compressed input over 32 KiB is nil")
local fits = pythonDeflated("zlib.compress(b'a'*85196)")
check.eq(#(miniz.uncompress(fits) or ""), 85196, "85196 bytes of output fit")
check.eq(miniz.uncompress(pythonDeflated("zlib.compress(b'a'*85197)")), nil, "one byte more is nil")
local bomb = pythonDeflated("zlib.compress(b'\\0'*30000000, 9)")
check.truthy(#bomb < 32 * 1024, "the bomb is a small input (" .. #bomb .. " bytes)")
local started = mcu.ticks()
check.eq(miniz.uncompress(bomb), nil, "a decompression bomb is refused")
check.truthy(mcu.ticks() - started < 2000, "and refused quickly")
local _, resident = rtos.meminfo("sys")
check.truthy(resident < 512 * 1024 * 1024, "memory stayed bounded")

-- corrupt and truncated input
check.eq(miniz.uncompress(cdata:sub(1, -5)), nil, "missing Adler-32 trailer")
check.eq(miniz.uncompress(cdata:sub(1, #cdata // 2)), nil, "truncated stream")
check.eq(miniz.uncompress(cdata:sub(1, -2) .. string.char((cdata:byte(-1) + 1) % 256)), nil, "bad Adler-32")
check.eq(miniz.uncompress("\0\1\2\3garbage"), nil, "garbage")
check.eq(miniz.uncompress(""), nil, "empty input")
check.eq(miniz.uncompress(cdata .. "trailing bytes"), bigdata, "bytes after the stream are ignored")
check.raises("#1", "compress of nil", miniz.compress, nil)
check.raises("#2", "compress flags must be an integer", miniz.compress, "x", "y")
check.raises("#1", "uncompress of a table", miniz.uncompress, {})

check.done(40)
