-- Mailboxes where sys takes shortcuts (issue 13): a message the waiting task would drop is dropped without
-- waking it, but only when nothing else could see it (a task callback, another subscriber of the task's
-- topic, an earlier message still queued); waitMsg timeouts on the task's one moved timer still end each
-- wait at its own time, longer or shorter than the one before; a task resumed straight from a socket
-- event sees the events in the device's order (TX_OK before the reply's EVENT).
local check = require "check"
local peers = require "peers"

local function elapsedSince(t0) return mcu.ticks() - t0 end

-- 1. Dropped without a wake-up: the task only wakes for its target.
sysplus.taskInitEx(function()
    local msg = sys_wait("dropper", "WANTED", 1000)
    check.eq(msg and msg[2], 2, "the awaited message, after the unwanted one")
    check.eq(sys_wait("dropper", "UNWANTED", 30), nil, "the unwanted message was dropped, not kept")
    sys.publish("DROPPER_DONE")
end, "dropper")

-- 2. A task callback gets what the wait does not take.
local handed = {}
sysplus.taskInitEx(function()
    local msg = sys_wait("withcb", "WANTED", 1000)
    check.eq(msg and msg[1], "WANTED", "the callback's task gets its message")
end, "withcb", function(msg) handed[#handed + 1] = msg[1] end)

-- 3. Another subscriber of the task's topic still hears every message.
local heard = 0
sys.subscribe("shared", function() heard = heard + 1 end)
sysplus.taskInitEx(function()
    local msg = sys_wait("shared", "WANTED", 1000)
    check.eq(msg and msg[1], "WANTED", "the shared topic's task gets its message")
end, "shared")

-- 4. Behind a queued match, a non-matching message stays for the next wait.
sysplus.taskInitEx(function()
    local first = sys_wait("queued", "A", 1000)
    check.eq(first and first[1], "A", "the queued match first")
    local second = sys_wait("queued", "B", 30)
    check.eq(second and second[1], "B", "the message behind it is still there")
end, "queued")

sys.taskInit(function()
    sys.wait(10)
    sys_send("dropper", "UNWANTED", 1)
    sys_send("dropper", "WANTED", 2)
    sys_send("withcb", "OTHER", 1)
    sys_send("withcb", "WANTED", 2)
    sys_send("shared", "OTHER", 1)
    sys_send("shared", "WANTED", 2)
    sys_send("queued", "A")
    sys_send("queued", "B")
    sys.waitUntil("DROPPER_DONE", 1000)
    check.eq(table.concat(handed, ","), "OTHER", "the callback got the message the wait did not take")
    check.eq(heard, 2, "the other subscriber heard both publications")
    sys.publish("PART1")
end)

-- 5. Timeouts of successive waits on the moved timer: long, short, long again, with messages between.
sysplus.taskInitEx(function()
    sys.waitUntil("PART1", 2000)
    local t0 = mcu.ticks()
    check.eq(sys_wait("timed", "X", 300) and true, true, "a message ends a 300 ms wait")
    check.truthy(elapsedSince(t0) < 250, "early, at the message")
    t0 = mcu.ticks()
    check.eq(sys_wait("timed", "NEVER", 40), nil, "a 40 ms wait after it times out")
    local took = elapsedSince(t0)
    check.truthy(took >= 39 and took < 250, "after its own 40 ms, not the earlier 300 (" .. took .. " ms)")
    t0 = mcu.ticks()
    check.eq(sys_wait("timed", "NEVER", 120), nil, "a 120 ms wait times out")
    took = elapsedSince(t0)
    check.truthy(took >= 119, "not before its 120 ms (" .. took .. " ms)")
    for _ = 1, 50 do sys_send("timed", "Y") check.truthy(sys_wait("timed", "Y", 5000), "a quick wait") end
    t0 = mcu.ticks()
    check.eq(sys_wait("timed", "NEVER", 60), nil, "after many short waits a 60 ms timeout still ends its wait")
    took = elapsedSince(t0)
    check.truthy(took >= 59 and took < 1000, "at its own time (" .. took .. " ms)")
    sys.publish("PART2")
end, "timed")
sys.timerStart(function() sys_send("timed", "X") end, 100)

-- 6. A task per connection against a real peer: TX_OK comes before the EVENT of the reply.
local PORT = peers.freePort()
sysplus.taskInitEx(function()
    sys.waitUntil("PART2", 3000)
    local job = peers.spawn("socat TCP-LISTEN:" .. PORT .. ",bind=127.0.0.1,reuseaddr,fork EXEC:cat", 20)
    check.truthy(peers.awaitTcp(PORT), "echo peer up")
    local c = socket.create(nil, "client")
    socket.config(c)
    socket.connect(c, "127.0.0.1", PORT)
    check.eq(sys_wait("client", socket.ON_LINE, 3000)[2], 0, "online")
    local order = {}
    for i = 1, 20 do
        socket.tx(c, "ping" .. i)
        local first = sys_wait("client", nil, 3000)
        order[#order + 1] = first and first[1]
        if first and first[1] == socket.TX_OK then sys_wait("client", socket.EVENT, 3000) end
        local buff = zbuff.create(64)
        socket.rx(c, buff)
    end
    local txFirst = 0
    for _, event in ipairs(order) do
        if event == socket.TX_OK then txFirst = txFirst + 1 end
    end
    check.eq(txFirst, 20, "every round heard TX_OK first")
    socket.close(c)
    socket.release(c)
    peers.kill(job)
    check.done(69)
end, "client")
