-- The device file system: /luadb/ (the project's files, read-only), everything else in the --fs folder,
-- refusal of paths that leave it (.. and symlinks), the LuatOS io/fs helpers and file:fill. Host-side
-- checks go through luatnet.host (unmapped) and the shell.
local check = require "check"
local host = require "luatnet.host"
local peers = require "peers"

local root = host.fs_root
local function hostRead(name)
    local file = host.open(root .. name, "rb")
    if not file then return nil end
    local text = file:read("a")
    file:close()
    return text
end

-- /luadb/: the main script and the files of folder arguments, flattened, read-only
local source = debug.getinfo(1, "S").source:sub(2)
check.eq(io.readFile("/luadb/files_test.lua"), peers.readFile(source), "/luadb/ holds the main script")
check.truthy(io.exists("/luadb/check.lua"), "/luadb/ holds a file of a folder argument")
check.eq(io.exists("/luadb/lib/check.lua"), false, "/luadb/ is flat")
local f, message, code = io.open("/luadb/check.lua", "w")
check.eq(f, nil, "io.open for writing in /luadb/ fails")
check.truthy(tostring(message):find("Read-only", 1, true), "with a read-only message")
check.eq(code, 30, "and EROFS")
check.eq(io.writeFile("/luadb/new.txt", "x"), nil, "io.writeFile into /luadb/ returns nothing")
check.eq(select("#", io.writeFile("/luadb/new.txt", "x")), 0, "(no value at all, as the firmware)")
check.eq(os.remove("/luadb/check.lua"), nil, "os.remove in /luadb/ fails")
check.eq(os.rename("/luadb/check.lua", "/moved.lua"), nil, "os.rename out of /luadb/ fails")
check.eq(io.mkdir("/luadb/sub"), false, "io.mkdir in /luadb/ fails")
check.truthy(io.exists("/luadb/check.lua"), "the project file is untouched")
f = io.open("/luadb/check.lua", "r+")
check.truthy(f ~= nil, "r+ opens /luadb/ files (for reading, as the firmware)")
check.eq(f:write("x") and f:flush(), nil, "writing through it fails")
f:close()
check.eq(io.open("/luadb/missing.txt"), nil, "a missing /luadb/ file")
check.eq(type(dofile("/luadb/check.lua")), "table", "dofile reads /luadb/")
check.eq(loadfile("/missing.lua"), nil, "loadfile of a missing device file is nil")

-- the data area: /data.txt lands in the --fs folder
check.eq(io.writeFile("/data.txt", "hello\nworld\n"), true, "io.writeFile")
check.eq(hostRead("/data.txt"), "hello\nworld\n", "/data.txt is data.txt in the --fs folder")
check.eq(io.readFile("/data.txt"), "hello\nworld\n", "io.readFile")
check.eq(io.readFile("/data.txt", "rb", 6, 3), "wor", "io.readFile with offset and length")
check.eq(io.writeFile("/data.txt", "!", "ab+"), true, "io.writeFile appends with ab+")
check.eq(io.fileSize("/data.txt"), 13, "io.fileSize")
check.eq(fs.fsize("/data.txt"), 13, "fs.fsize")
check.eq(io.fileSize("/none.txt"), 0, "io.fileSize of a missing file is 0, as the firmware")
check.eq(io.readFile("/none.txt"), nil, "io.readFile of a missing file is nil")
check.eq(io.readFile("/d/../data.txt"), "hello\nworld\n!", ".. inside the file system is fine")
check.eq(io.readFile("data.txt"), "hello\nworld\n!", "relative paths start at /")
local lines = {}
for line in io.lines("/data.txt") do lines[#lines + 1] = line end
check.eq(table.concat(lines, ","), "hello,world,!", "io.lines on a device path")
check.raises("cannot open /none.txt", "io.lines of a missing file raises", io.lines, "/none.txt")
f = io.open("/handle.txt", "w+")
check.eq(io.type(f), "file", "io.open returns a standard file handle")
f:write("abc", 12)
f:seek("set", 1)
check.eq(f:read("a"), "bc12", "write, seek and read on it")
check.eq(f:close(), true, "close")
check.eq(io.type(f), "closed file", "closed")
check.eq(os.rename("/handle.txt", "/renamed.txt"), true, "os.rename")
check.eq(hostRead("/renamed.txt"), "abc12", "renamed on the host")
check.eq(os.remove("/renamed.txt"), true, "os.remove")
check.eq(hostRead("/renamed.txt"), nil, "removed on the host")
local ok, err = os.remove("/renamed.txt")
check.truthy(ok == nil and err:find("No such file", 1, true), "os.remove of a missing file: nil, message")
check.eq(io.open("/nodir/x.txt", "w"), nil, "no folder is made implicitly")
check.eq(io.open("/"), nil, "the root is not a file")

-- paths that leave the file system are refused
local escapes = {
    { "io.open", io.open, "/../etc/passwd" },
    { "io.readFile", io.readFile, "/a/../../etc/passwd" },
    { "io.writeFile", io.writeFile, "../escape.txt", "x" },
    { "io.exists", io.exists, "/../../etc/passwd" },
    { "io.lines", io.lines, "/../etc/passwd" },
    { "os.remove", os.remove, "/../escape.txt" },
    { "os.rename", os.rename, "/data.txt", "/../escape.txt" },
    { "io.mkdir", io.mkdir, "/../escape_dir" },
    { "io.lsdir", io.lsdir, "/.." },
    { "io.rmdir", io.rmdir, "/luadb/../../tmp" },
    { "dofile", dofile, "/../etc/passwd" },
}
for _, case in ipairs(escapes) do
    check.raises("leaves the device's file system", case[1] .. " refuses ..", case[2], table.unpack(case, 3))
end
check.eq(peers.shell("ls " .. root .. "/.. | grep -c escape"), "0\n", "nothing was made outside")
-- symlinks inside the folder that point outside it
peers.shell("ln -s /etc " .. root .. "/etc_link; ln -s data.txt " .. root .. "/inside_link")
check.raises("outside the device's file system", "a symlink out is refused", io.open, "/etc_link/hostname")
check.raises("outside the device's file system", "also for io.exists", io.exists, "/etc_link/passwd")
check.raises("outside the device's file system", "also for os.remove", os.remove, "/etc_link")
check.eq(io.readFile("/inside_link"), "hello\nworld\n!", "a symlink that stays inside works")

-- folders
local made, result = io.mkdir("/d1/d2/")
check.truthy(made == true and result == 0, "io.mkdir makes missing parents: true, 0")
check.eq(io.mkdir("/d1/d2"), true, "io.mkdir of an existing folder is true (littlefs)")
check.eq(io.dexist("/d1/d2"), true, "io.dexist")
check.eq(io.dexist("/data.txt"), false, "io.dexist of a file")
check.eq(io.dexist("/"), true, "io.dexist of the root")
check.eq(io.dexist("/luadb/"), true, "io.dexist of /luadb/")
io.writeFile("/d1/f.txt", "abc")
local listed, entries = io.lsdir("/d1/")
check.eq(listed, true, "io.lsdir")
check.eq(#entries, 2, "two entries")
check.truthy(entries[1].name == "d2" and entries[1].type == 1, "a folder: type 1 (io.DIR)")
check.truthy(entries[2].name == "f.txt" and entries[2].type == io.FILE and entries[2].size == 3, "a file: type 0, size")
local _, page = io.lsdir("/d1", 1, 1)
check.truthy(#page == 1 and page[1].name == "f.txt", "io.lsdir with count and offset")
local _, missing = io.lsdir("/missing")
check.eq(#missing, 0, "io.lsdir of a missing folder is an empty list (littlefs)")
local _, db = io.lsdir("/luadb/", 100)
local names = {}
for _, entry in ipairs(db) do names[entry.name] = entry.size end
check.truthy(names["check.lua"] and names["check.lua"] > 0, "io.lsdir of /luadb/ lists the project files")
local removed, code2 = io.rmdir("/d1")
check.truthy(removed == false and code2 == -1, "io.rmdir of a folder that is not empty: false, -1")
check.eq(io.rmdir("/d1/d2"), true, "io.rmdir")
check.eq(io.dexist("/d1/d2"), false, "gone")
check.eq(io.rmdir("/"), false, "the root cannot be removed")

-- file system status
local statOk, total, used, blockSize, kind = io.fsstat()
check.truthy(statOk and total >= used and used > 0, "io.fsstat: true, total and used blocks")
check.truthy(blockSize == 4096 and kind == "lfs", "4 KiB blocks of a littlefs, as on a module")
check.eq(fs, io, "fs is the io table, as in the firmware")
local _, _, _, luadbBlock, luadbKind = fs.fsstat("/luadb/")
check.truthy(luadbBlock == 512 and luadbKind == "luadb", "fs.fsstat of /luadb/")

-- file:fill
io.writeFile("/fill.bin", "0123456789")
f = io.open("/fill.bin", "rb")
local buff = zbuff.create(8)
local filled, count = f:fill(buff)
check.truthy(filled == true and count == 8, "file:fill fills the whole zbuff")
check.eq(buff:toStr(0, 8), "01234567", "with the file's bytes")
check.eq(buff:used(), 0, "without moving the zbuff's cursor")
filled, count = f:fill(buff, 6, 10)
check.truthy(filled == true and count == 2, "file:fill at an offset reads what is left")
check.eq(buff:toStr(6, 2), "89", "into the offset")
check.eq(select(2, f:fill(buff)), 0, "at the end of the file, 0 bytes")
check.raises("out of range", "an offset past the zbuff", f.fill, f, buff, 9)
check.raises("out of range", "a negative length", f.fill, f, buff, 0, -1)
check.raises("bad argument #2", "file:fill needs a zbuff", f.fill, f, "text")
f:close()
check.raises("closed file", "file:fill on a closed file", f.fill, f, buff)

-- wrong argument types
check.raises("bad argument #1", "io.open(table)", io.open, {})
check.raises("invalid mode", "io.open with a bad mode", io.open, "/x", "z")
check.raises("bad argument #1", "io.mkdir(nil)", io.mkdir, nil)
check.raises("bad argument #2", "io.lsdir with a non-number count", io.lsdir, "/", "x")
check.raises("bad argument #1", "os.remove()", os.remove)
check.raises("bad argument #3", "io.readFile with a non-number offset", io.readFile, "/data.txt", "rb", "x")
check.raises("bad argument #2", "io.writeFile without data", io.writeFile, "/x.txt")

check.done(95)
