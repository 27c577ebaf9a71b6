-- Socket events for a task parked in sys_wait (waiting alone, mailbox empty) are handed to it by the host
-- without running sys's Lua first. The shortcut must give what the mailbox would: it ends as soon as
-- somebody else listens to the task's topic, when the task is deleted or replaced by a task of the same
-- name, it drops only what the waiting task would have dropped itself, and it is not taken while a script's
-- own sys_send is in place; messages taken with rtos.receive reach a parked task through sys's Lua shortcut;
-- a second coroutine waiting on the same mailbox makes both ordinary subscribers.
local check = require "check"
local peers = require "peers"

local port, peer = peers.tcpEcho(30)

-- A ctrl of task `name`, connected to the echo peer (one check).
local function connect(name)
    local c = socket.create(nil, name)
    socket.config(c)
    socket.connect(c, "127.0.0.1", port)
    check.eq(sys_wait(name, socket.ON_LINE, 3000)[2], 0, name .. ": online")
    return c
end

local function drop(c)
    socket.close(c)
    socket.release(c)
end

-- 1. Another subscriber to the task's topic while the task waits: the reply reaches both, through the
-- mailbox and its publication.
sysplus.taskInitEx(function()
    check.truthy(peers.awaitTcp(port), "echo peer up")
    local c = connect("shared")
    local published = 0
    local function listener() published = published + 1 end
    sys.timerStart(function() sys.subscribe("shared", listener) end, 20)
    sys.timerStart(socket.tx, 60, c, "ping")
    local txOk = sys_wait("shared", socket.TX_OK, 3000)
    check.eq(txOk and txOk[2], 0, "TX_OK through the mailbox")
    local event = sys_wait("shared", socket.EVENT, 3000)
    check.eq(event and event[2], 0, "the reply's EVENT through the mailbox")
    check.eq(published, 2, "the other subscriber saw the task's topic published for TX_OK and for EVENT")
    sys.unsubscribe("shared", listener)
    socket.rx(c, zbuff.create(64))
    drop(c)
    sys.publish("SHARED_DONE")
end, "shared")

-- 2. A task deleted while it waits is not resumed by its ctrl's events; a new task of the same name gets
-- them.
local oldResumed = false
sysplus.taskInitEx(function()
    sys.waitUntil("SHARED_DONE", 10000)
    local c = connect("renamed")
    sys.publish("RENAMED_CTRL", c)
    sys_wait("renamed", socket.EVENT)
    oldResumed = true
end, "renamed")

sys.taskInit(function()
    local _, c = sys.waitUntil("RENAMED_CTRL", 10000)
    sysplus.taskDel("renamed")
    check.eq(sys_send("renamed", "anything"), false, "a deleted task has no mailbox")
    socket.tx(c, "one")
    sys.wait(300)
    check.eq(oldResumed, false, "the deleted task was not resumed by its ctrl's TX_OK or EVENT")
    socket.rx(c, zbuff.create(64))
    sysplus.taskInitEx(function()
        socket.tx(c, "two")
        local event = sys_wait("renamed", socket.EVENT, 3000)
        check.eq(event and event[2], 0, "the new task of that name got the EVENT")
        check.eq(oldResumed, false, "the old task still waits")
        drop(c)
        sys.publish("RENAMED_DONE")
    end, "renamed")
end)

-- 3. What a task without a callback drops while it waits for something else is gone; with a callback it
-- reaches the callback.
local seenByCallback = {}
sysplus.taskInitEx(function()
    sys.waitUntil("RENAMED_DONE", 10000)
    local c = connect("dropping")
    sys.timerStart(socket.tx, 20, c, "three")
    check.eq(sys_wait("dropping", "NEVER", 300), nil, "nothing matches NEVER")
    check.eq(sys_wait("dropping", socket.EVENT, 200), nil, "the EVENT that came meanwhile was dropped")
    check.eq(select(2, socket.read(c)), "three", "its data waits in the ctrl")
    drop(c)
    sys.publish("DROPPING_DONE")
end, "dropping")

sysplus.taskInitEx(function()
    sys.waitUntil("DROPPING_DONE", 10000)
    local c = connect("keeping")
    sys.timerStart(socket.tx, 20, c, "four")
    check.eq(sys_wait("keeping", "NEVER", 300), nil, "nothing matches NEVER")
    check.truthy(seenByCallback[socket.TX_OK] and seenByCallback[socket.EVENT],
        "TX_OK and EVENT went to the task's callback")
    drop(c)
    sys.publish("KEEPING_DONE")
end, "keeping", function(message) seenByCallback[message[1]] = true end)

-- 4. A publication of the task's name, an unsubscription of somebody else and the wait's own timeout reach
-- a parked task as they reach any subscriber; it goes on waiting and then takes its EVENT.
sysplus.taskInitEx(function()
    sys.waitUntil("KEEPING_DONE", 10000)
    local c = connect("poked")
    check.eq(sys_wait("poked", socket.EVENT, 50), nil, "the wait's own timeout")
    sys.timerStart(sys.publish, 20, "poked")
    sys.timerStart(sys.unsubscribe, 40, "poked", print)
    sys.timerStart(socket.tx, 60, c, "five")
    local event = sys_wait("poked", socket.EVENT, 3000)
    check.eq(event and event[2], 0, "the EVENT after the publication and the unsubscription")
    check.eq(select(2, socket.read(c)), "five", "its data")
    drop(c)
    sys.publish("POKED_DONE")
end, "poked")

-- 5. A script that puts its own sys_send in place gets every socket event for its tasks through it, parked
-- or not (the host's shortcut is sys's own).
sysplus.taskInitEx(function()
    sys.waitUntil("POKED_DONE", 10000)
    local c = connect("relayed")
    local original, relayed = sys_send, {}
    sys_send = function(name, event, ...)
        relayed[#relayed + 1] = event
        return original(name, event, ...)
    end
    socket.tx(c, "six")
    local event = sys_wait("relayed", socket.EVENT, 3000)
    sys_send = original
    check.eq(event and event[2], 0, "the EVENT through the script's sys_send")
    check.eq(table.concat(relayed, ","), socket.TX_OK .. "," .. socket.EVENT, "TX_OK then EVENT went through it")
    drop(c)
    sys.publish("RELAYED_DONE")
end, "relayed")

-- 6. Messages taken with rtos.receive (a loop of a script's own, here inside another task) still reach a
-- parked task, through sys's Lua shortcut: rtos.receive knows nothing of sys's publication queue.
local viaReceive
sysplus.taskInitEx(function()
    sys.waitUntil("RELAYED_DONE", 10000)
    local c = connect("received")
    sys.publish("RECEIVED_CTRL", c)
    viaReceive = sys_wait("received", socket.EVENT, 3000)
end, "received")

sys.taskInit(function()
    local _, c = sys.waitUntil("RECEIVED_CTRL", 10000)
    socket.tx(c, "seven")
    local deadline = mcu.ticks() + 3000
    while viaReceive == nil and mcu.ticks() < deadline do rtos.receive(100) end
    check.eq(viaReceive and viaReceive[2], 0, "the parked task got its EVENT from rtos.receive")
    drop(c)
    sys.publish("RECEIVED_DONE")
end)

-- 7. Two coroutines waiting on one mailbox are both subscribed, in the order they started waiting: the
-- first message goes to the first, the second to the second.
local twoGot = {}
sysplus.taskInitEx(function()
    sys.waitUntil("RECEIVED_DONE", 10000)
    sys.taskInit(function()
        local message = sys_wait("twice", "PING", 3000)
        twoGot[#twoGot + 1] = "first:" .. tostring(message and message[2])
    end)
    sys.timerStart(sys_send, 20, "twice", "PING", 1)
    sys.timerStart(sys_send, 40, "twice", "PING", 2)
    local message = sys_wait("twice", "PING", 3000)
    twoGot[#twoGot + 1] = "second:" .. tostring(message and message[2])
    sys.wait(100)
    check.eq(table.concat(twoGot, " "), "first:1 second:2", "each waiter got one message, in waiting order")
    peers.kill(peer)
    check.done(27)
end, "twice")
