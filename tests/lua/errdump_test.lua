-- errDump (no profile needed): records kept in the device file system where the firmware keeps them
-- ("/\xAAuerr"), at most 4 KiB with the newest text kept, read into a zbuff, the "written since read" flag,
-- deletion, disabled logging, bad input.
local check = require "check"

local USER_LOG = "/\xAAuerr"
local function readLog()
    local f = io.open(USER_LOG, "rb")
    if not f then return nil end
    local text = f:read("*a")
    f:close()
    return text
end

check.eq(errDump.TYPE_SYS, 0, "TYPE_SYS")
check.eq(errDump.TYPE_USR, 1, "TYPE_USR")
errDump.record("before config")
check.eq(readLog(), nil, "nothing recorded before errDump.config(true)")

check.eq(select("#", errDump.config(true, 0)), 0, "config returns nothing")
errDump.record("first;")
errDump.record("second;")
check.eq(readLog(), "first;second;", "records appended in the device file system")
local buff = zbuff.create(4)
check.eq(errDump.dump(buff, errDump.TYPE_USR), true, "written since the last read")
check.eq(buff:used(), 13, "the zbuff grew to the log")
check.eq(buff:toStr(0, buff:used()), "first;second;", "the log's text")
check.eq(errDump.dump(buff), false, "nothing new since (TYPE_USR by default)")
check.eq(errDump.dump(nil, errDump.TYPE_SYS), false, "the system log is empty")

errDump.record(string.rep("a", 3000))
errDump.record(string.rep("b", 3000))
local text = readLog()
check.eq(#text, 4096, "at most 4 KiB kept")
check.eq(text:sub(-3000), string.rep("b", 3000), "the newest text kept whole")
check.eq(text:sub(1, 1096), string.rep("a", 1096), "the oldest pushed out")
errDump.record(string.rep("c", 5000))
check.eq(readLog(), string.rep("c", 4096), "one record over 4 KiB keeps its end")

check.eq(errDump.dump(nil, errDump.TYPE_USR, true), true, "dump without a zbuff, deleting")
check.eq(readLog(), nil, "deleted")
check.eq(errDump.dump(buff), true, "a dump without a zbuff did not read the log: still news")
check.eq(buff:used(), 0, "an empty log reads as nothing")
check.eq(errDump.dump(nil, 7), true, "an unknown type returns true")
check.eq(errDump.dump(nil, -1), true, "a negative type too")

errDump.record(42)
check.eq(readLog(), nil, "a number is not recorded")
errDump.record("x")
errDump.config(false)
check.eq(readLog(), nil, "disabling deletes the logs")
errDump.record("y")
check.eq(readLog(), nil, "nothing recorded while disabled")
check.raises("number expected", "dump with a string type", errDump.dump, nil, "usr")
check.raises("ZBUFF", "dump into a non-zbuff userdata", errDump.dump, io.stdout)
errDump.config(true, 600, "flag", "id", "dev_msg1.openluat.com", 12425, -1)
errDump.record("z")
check.eq(readLog(), "z", "config with upload settings records (nothing is uploaded)")
check.done(26)
