-- sys semantics: tasks, waits, timers, publish/subscribe order, mailboxes (taskInitEx/sendMsg/waitMsg).
local check = require "check"

-- taskInit passes arguments and returns the coroutine
local received
local co = sys.taskInit(function(a, b) received = { a, b } end, "x", 2)
check.eq(type(co), "thread", "taskInit returns the coroutine")
check.eq(received[1], "x", "first task argument")
check.eq(received[2], 2, "second task argument")

check.raises("inside a task", "sys.wait outside a task is an error", sys.wait, 10)
check.raises("inside a task", "sys.waitUntil outside a task is an error", sys.waitUntil, "T", 10)

-- waits finish in deadline order
local finished = {}
sys.taskInit(function() sys.wait(60); finished[#finished + 1] = "slow" end)
sys.taskInit(function() sys.wait(10); finished[#finished + 1] = "fast" end)

-- timers: ids, arguments, stop by id and by function + arguments, loop timers
local fired = {}
local function remember(tag, n) fired[#fired + 1] = tag .. n end
local id1 = sys.timerStart(remember, 20, "a", 1)
local id2 = sys.timerStart(remember, 20, "b", 2)
check.truthy(math.type(id1) == "integer" and id1 ~= id2, "timerStart returns distinct integer ids")
check.truthy(sys.timerIsActive(id1), "timer active by id")
check.truthy(sys.timerIsActive(remember, "b", 2), "timer active by function and arguments")
sys.timerStop(id1)
check.eq(sys.timerIsActive(id1), false, "stopped timer is no longer active")
local id3 = sys.timerStart(remember, 25, "c", 3)
sys.timerStop(remember, "c", 3)
check.eq(sys.timerIsActive(id3), false, "stop by function and arguments")
local restarted = sys.timerStart(remember, 30, "b", 2)
check.eq(sys.timerIsActive(id2), false, "starting the same function+args again replaces the old timer")
check.truthy(sys.timerIsActive(restarted), "the replacement is active")

local loops = 0
local loopId = sys.timerLoopStart(function() loops = loops + 1 end, 10)
local killAll = 0
local function many() killAll = killAll + 1 end
sys.timerStart(many, 15, 1)
sys.timerStart(many, 15, 2)
sys.timerStopAll(many)

-- publish / subscribe: order, nested publish, function and task subscribers
local order = {}
local function onA(v)
    order[#order + 1] = "A" .. v
    if v == 1 then sys.publish("B", 1) end -- nested: queued behind what is already queued
end
local function onB(v) order[#order + 1] = "B" .. v end
sys.subscribe("A", onA)
sys.subscribe("B", onB)
sys.publish("A", 1)
sys.publish("A", 2)
-- values with holes and trailing nils keep their count; an emptied topic's list is reused by another
local holes = {}
sys.subscribe("HOLES", function(...) holes = table.pack(...) end)
sys.publish("HOLES", nil, 2, nil)
local reused = {}
local function onOnce(v) reused[#reused + 1] = v end
sys.subscribe("ONCE", onOnce)
sys.unsubscribe("ONCE", onOnce)
sys.subscribe("OTHER", onOnce)
sys.publish("ONCE", "lost")
sys.publish("OTHER", "kept")
local removed = function() order[#order + 1] = "removed" end
sys.subscribe("A", removed)
sys.unsubscribe("A", removed)

local results = {}
sys.taskInit(function()
    local ok, v1, v2 = sys.waitUntil("DATA", 500)
    results.waitUntil = { ok, v1, v2 }
    local t0 = mcu.ticks()
    local ok2, extra = sys.waitUntil("NEVER", 50)
    results.timeout = { ok2, extra, mcu.ticks() - t0 }
    results.ext = { sys.waitUntilExt("EXT", 500) }
    results.extTimeout = { sys.waitUntilExt("NEVER", 20) }
    results.waitReturn = { sys.wait(5) }
end)
sys.timerStart(sys.publish, 30, "DATA", "v", 7)
sys.timerStart(sys.publish, 120, "EXT", 1, 2)

-- mailboxes
local mail = {}
local stray = {}
sysplus.taskInitEx(function()
    mail.first = sys_wait("worker", "GO", 500)
    mail.timeout = sys_wait("worker", "NOTHING", 30)
    mail.any = sysplus.waitMsg("worker", nil, 500)
    mail.cleaned = sys.waitMsg("worker", "LATE", 40)
end, "worker", function(msg) stray[#stray + 1] = msg[1] end)
check.eq(sys_send("worker", "NOISE", 1), true, "sendMsg to a named task returns true")
check.eq(sys_send("nobody", "GO"), false, "sendMsg to an unknown task returns false")
sys.timerStart(function() sys.sendMsg("worker", "GO", 1, "two", 3) end, 20)
sys.timerStart(function() sys.sendMsg("worker", "ANY", 9) end, 100)
sys.timerStart(function()
    sys.sendMsg("worker", "LATE")
    check.eq(sys.cleanMsg("worker"), true, "cleanMsg on a named task")
    check.eq(sys.cleanMsg("nobody"), false, "cleanMsg on an unknown task")
end, 150)
sys.taskInit(function()
    check.eq(sys.waitMsg("plain-task", "X", 10), false, "waitMsg needs taskInitEx")
end)

sys.taskInit(function()
    sys.wait(400)
    check.eq(table.concat(finished, ","), "fast,slow", "waits end in deadline order")
    check.eq(table.concat(fired, ","), "b2", "only the remaining timer fired, with its arguments")
    check.truthy(loops >= 10, "loop timer keeps firing (" .. loops .. ")")
    sys.timerStop(loopId)
    local frozen = loops
    check.eq(killAll, 0, "timerStopAll stops every timer of that function")
    check.eq(table.concat(order, ","), "A1,A2,B1", "publications are delivered in queue order")
    check.eq(holes.n, 3, "a publication keeps its trailing nil")
    check.truthy(holes[1] == nil and holes[2] == 2 and holes[3] == nil, "and its holes")
    check.eq(table.concat(reused, ","), "kept", "an unsubscribed topic hears nothing; the reused list serves its new topic")
    check.eq(results.waitUntil[1], true, "waitUntil true on message")
    check.eq(results.waitUntil[2], "v", "waitUntil first value")
    check.eq(results.waitUntil[3], 7, "waitUntil second value")
    check.eq(results.timeout[1], false, "waitUntil false on timeout")
    check.eq(results.timeout[2], nil, "no values on timeout")
    check.truthy(results.timeout[3] >= 45, "timeout waited (" .. results.timeout[3] .. " ms)")
    check.eq(results.ext[1], "EXT", "waitUntilExt returns the topic")
    check.eq(results.ext[3], 2, "waitUntilExt returns the values")
    check.eq(results.extTimeout[1], false, "waitUntilExt false on timeout")
    check.eq(#results.waitReturn, 0, "sys.wait returns nothing when the timer ends it")
    check.eq(mail.first[1], "GO", "waitMsg returns the message table")
    check.eq(mail.first[2], 1, "message param 1")
    check.eq(mail.first[3], "two", "message param 2")
    check.eq(mail.first[4], 3, "message param 3")
    check.eq(stray[1], "NOISE", "a non-matching message goes to the task callback")
    check.eq(mail.timeout, nil, "waitMsg returns nil on timeout")
    check.eq(mail.any[1], "ANY", "waitMsg without target takes any message")
    check.eq(mail.cleaned, nil, "cleanMsg dropped the queued message")
    sys.wait(30)
    check.eq(loops, frozen, "stopped loop timer does not fire again")
    sys.taskDel("worker")
    check.eq(sys_send("worker", "GO"), false, "taskDel forgets the mailbox")
    check.done(45)
end)
sys.run()
