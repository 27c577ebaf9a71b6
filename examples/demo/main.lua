-- A LuatOS-style script: a sensor task sends readings to a named worker through its mailbox, the worker
-- packs them into a zbuff frame and publishes it; a subscriber waits for frames with a timeout.
PROJECT = "luatnet_demo"
VERSION = "1.0.0"

sys = require("sys")
require("sysplus")

local READINGS = 5

sysplus.taskInitEx(function()
    local frame = zbuff.create(64)
    for _ = 1, READINGS do
        local msg = sys_wait("packer", "READING", 1000)
        if not msg then
            log.warn("packer", "no reading in time")
            break
        end
        frame:seek(0)
        frame:pack(">HI", msg[2], msg[3])
        sys.publish("FRAME", frame:toStr(0, frame:used()))
    end
    log.info("packer", "done")
end, "packer")

sys.taskInit(function()
    for i = 1, READINGS do
        sys.wait(20)
        sys_send("packer", "READING", i, i * 1000)
    end
end)

sys.taskInit(function()
    local frames = 0
    while true do
        local ok, frame = sys.waitUntil("FRAME", 500)
        if not ok then break end
        frames = frames + 1
        log.info("frame", frames, string.toHex(frame), "md5", crypto.md5(frame):sub(1, 8))
    end
    log.info("demo", "frames received", frames, json.encode({ frames = frames, project = PROJECT }))
end)

sys.run()
