-- sys: the LuatOS task scheduler as luatnet provides it. Tasks are coroutines; timers and messages come
-- from the host through rtos.receive; publish/subscribe queues messages and dispatches them in order.
-- Written for luatnet from the documented behaviour of the firmware's sys and sysplus.
local host = require "luatnet.host"
local rtos = rtos
local unpack, pack = table.unpack, table.pack

local sys = {}

-- Timer ids below WAIT_TIMER_LIMIT wake a waiting task; ids above it run a callback (as on the device).
local WAIT_TIMER_LIMIT = 0x1FFFFF
local CALLBACK_TIMER_LIMIT = 0x7FFFFF
local lastWaitId, lastCallbackId = 0, WAIT_TIMER_LIMIT
local timerTargets = {} -- id -> coroutine (wait) or function (callback)
local timerArgs = {}    -- id -> packed callback arguments

local function argError(fname, index, expected, value)
    error(string.format("bad argument #%d to '%s' (%s expected, got %s)", index, fname, expected,
        type(value)), 3)
end

local function checkNumber(fname, index, value)
    if math.type(value) == nil then argError(fname, index, "number", value) end
end

local function checkFunction(fname, index, value)
    if type(value) ~= "function" then argError(fname, index, "function", value) end
end

local function reportError(err)
    host.task_error(err)
end

local function afterResume(co, ok, ...)
    if not ok then reportError(debug.traceback(co, tostring((...)))) end
    return ok, ...
end

-- Resumes a task; a task that fails is reported with its traceback and the others go on.
function sys.coresume(co, ...)
    return afterResume(co, coroutine.resume(co, ...))
end

local function protectedCall(fn, ...)
    local ok, err = xpcall(fn, debug.traceback, ...)
    if not ok then reportError(err) end
end

function sys.check_task()
    local co, isMain = coroutine.running()
    if isMain then
        error("sys: this call waits, so it must run inside a task (sys.taskInit), not in the main chunk", 2)
    end
    return co
end

local function nextFreeId(last, low, high)
    repeat
        last = last >= high and low + 1 or last + 1
    until timerTargets[last] == nil
    return last
end

-- Live timers by target, so that "the same timer" (target and arguments) is found without looking at
-- every live timer: byTarget[target][key] is the id, or a list of ids, of the target's timers whose
-- first argument is `key` (NO_ARGS: none). A task server has one timer per task on the same function,
-- told apart by the first argument (the task name), so the lists stay short. Keys are weak: an entry
-- outlives its timers only until its function or coroutine is collected.
local byTarget = setmetatable({}, { __mode = "k" })
local NO_ARGS, UNKEYABLE = {}, {} -- UNKEYABLE: a first argument that is nil or NaN

local function sameArgs(args, stored)
    if stored == nil then return args.n == 0 end
    if args.n ~= stored.n then return false end
    for i = 1, args.n do
        if args[i] ~= stored[i] then return false end
    end
    return true
end

local function argsKey(args)
    if args == nil or args.n == 0 then return NO_ARGS end
    local first = args[1]
    if first == nil or first ~= first then return UNKEYABLE end
    return first
end

local function remember(id, target, args)
    timerTargets[id], timerArgs[id] = target, args
    local slots = byTarget[target]
    if slots == nil then
        slots = {}
        byTarget[target] = slots
    end
    local key = argsKey(args)
    local slot = slots[key]
    if slot == nil then
        slots[key] = id
    elseif type(slot) == "table" then
        slot[#slot + 1] = id
    else
        slots[key] = { slot, id }
    end
end

local MAILBOX_TIMER = {} -- timerTargets' value for a task's own mailbox timer (see waitMsg)

local function forget(id)
    local target = timerTargets[id]
    if target == nil or target == MAILBOX_TIMER then return end
    local slots, key = byTarget[target], argsKey(timerArgs[id])
    timerTargets[id], timerArgs[id] = nil, nil
    local slot = slots[key]
    if slot == id then
        slots[key] = nil
    elseif type(slot) == "table" then
        for i = 1, #slot do
            if slot[i] == id then
                table.remove(slot, i)
                break
            end
        end
        if #slot == 1 then slots[key] = slot[1] end
    end
end

-- The id of the live timer of `target` with exactly these (packed) arguments, or nil.
local function findTimer(target, args)
    local slots = target ~= nil and byTarget[target]
    local slot = slots and slots[argsKey(args)]
    if slot == nil then return nil end
    if type(slot) ~= "table" then
        return sameArgs(args, timerArgs[slot]) and slot or nil
    end
    for i = 1, #slot do
        if sameArgs(args, timerArgs[slot[i]]) then return slot[i] end
    end
end

-- Woken with values: by a message before the timer fired (waitUntil), so the timer is no longer wanted.
local function afterWait(id, ...)
    if select("#", ...) ~= 0 then
        rtos.timer_stop(id)
        forget(id)
    end
    return ...
end

-- As on the device, a wait shorter than 1 ms (0, negative) returns at once, without yielding.
function sys.wait(ms)
    checkNumber("wait", 1, ms)
    local co = sys.check_task()
    lastWaitId = nextFreeId(lastWaitId, 0, WAIT_TIMER_LIMIT - 1)
    local id = lastWaitId
    if rtos.timer_start(id, ms) ~= 1 then return end
    remember(id, co)
    return afterWait(id, coroutine.yield())
end

function sys.taskInit(fn, ...)
    checkFunction("taskInit", 1, fn)
    local co = coroutine.create(fn)
    sys.coresume(co, ...)
    return co
end

------------------------------------------------------------------------ timers

local function dropTimer(id)
    forget(id)
    rtos.timer_stop(id)
end

function sys.timerStop(target, ...)
    if math.type(target) ~= nil then
        dropTimer(target)
        return
    end
    local id = findTimer(target, pack(...))
    if id then dropTimer(id) end
end

function sys.timerStopAll(fn)
    local slots = fn ~= nil and byTarget[fn]
    if not slots then return end
    local ids = {}
    for _, slot in pairs(slots) do
        if type(slot) == "table" then
            table.move(slot, 1, #slot, #ids + 1, ids)
        else
            ids[#ids + 1] = slot
        end
    end
    for i = 1, #ids do dropTimer(ids[i]) end
end

function sys.timerAdvStart(fn, ms, repeating, ...)
    checkFunction("timerStart", 1, fn)
    checkNumber("timerStart", 2, ms)
    -- A function with the same arguments names the same timer: starting it again restarts it.
    local args = pack(...)
    local same = findTimer(fn, args)
    if same then dropTimer(same) end
    lastCallbackId = nextFreeId(lastCallbackId, WAIT_TIMER_LIMIT, CALLBACK_TIMER_LIMIT)
    local id = lastCallbackId
    -- As on the device, a timer shorter than 1 ms is not started: nil, and an error in the log.
    if rtos.timer_start(id, ms, repeating) ~= 1 then
        log.error("sys", "timer not started: its time must be at least 1 ms, got " .. tostring(ms))
        return nil
    end
    remember(id, fn, args.n > 0 and args or nil)
    return id
end

function sys.timerStart(fn, ms, ...)
    return sys.timerAdvStart(fn, ms, 0, ...)
end

function sys.timerLoopStart(fn, ms, ...)
    return sys.timerAdvStart(fn, ms, -1, ...)
end

function sys.timerIsActive(target, ...)
    if math.type(target) ~= nil then
        return timerTargets[target] ~= nil
    end
    return findTimer(target, pack(...)) ~= nil
end

local onMailboxTimer -- defined with the mailboxes

local function onTimer(id, repeating)
    local target = timerTargets[id]
    if target == nil then return end
    if target == MAILBOX_TIMER then
        onMailboxTimer(id)
        return
    end
    if id < WAIT_TIMER_LIMIT then
        forget(id)
        sys.coresume(target)
        return
    end
    local args = timerArgs[id]
    if not repeating then forget(id) end
    if args then
        protectedCall(target, unpack(args, 1, args.n))
    else
        protectedCall(target)
    end
end

------------------------------------------------------------------------ publish / subscribe

local subscribers = {} -- topic -> array of functions or coroutines, in subscription order
-- Emptied subscriber lists, kept for the next subscription: a task waiting in sys.waitUntil subscribes
-- and unsubscribes once per message.
local spareLists = {}
local MAX_SPARE_LISTS = 64
-- Publications not yet dispatched, flat: each is its value count followed by its values (a table per
-- publication would be garbage per message).
local queue, queueHead, queueTail = {}, 1, 0
-- Tasks waiting in waitMsg with an empty mailbox while nobody else listens to their name: such a task is
-- subscribed to its name through parked[name] (its coroutine) instead of a list in subscribers, so that a
-- wait per message costs no subscription, and the host resumes it itself with a socket event (see
-- deliverFromHost). parkedFor[name] is the message it waits for (nil: any); parkedDrops[name] is true
-- when the task has no callback, so that other messages are dropped while it waits for one. The entry
-- goes when the task wakes; whatever else touches the name's subscribers or the task's mailbox (a
-- subscription, a second waiter, a publication, a message for the task, the task deleted or started
-- again) turns it into an ordinary subscription first (unpark). A parked name has no list in subscribers.
local parked, parkedFor, parkedDrops = {}, {}, {}

local function unpark(topic)
    local co = parked[topic]
    if co == nil then return end
    parked[topic] = nil
    local list = table.remove(spareLists) or {}
    list[1] = co
    subscribers[topic] = list
end

function sys.subscribe(topic, callback)
    if type(topic) == "table" then
        for _, each in pairs(topic) do sys.subscribe(each, callback) end
        return
    end
    if type(callback) ~= "function" and type(callback) ~= "thread" then
        argError("subscribe", 2, "function or thread", callback)
    end
    if parked[topic] ~= nil then unpark(topic) end
    local list = subscribers[topic]
    if list == nil then
        list = table.remove(spareLists) or {}
        subscribers[topic] = list
    end
    local count = #list
    for i = 1, count do
        if list[i] == callback then return end
    end
    list[count + 1] = callback
end

function sys.unsubscribe(topic, callback)
    if type(topic) == "table" then
        for _, each in pairs(topic) do sys.unsubscribe(each, callback) end
        return
    end
    if parked[topic] ~= nil then unpark(topic) end
    local list = subscribers[topic]
    if list == nil then return end
    for i = 1, #list do
        if list[i] == callback then
            table.remove(list, i)
            break
        end
    end
    if #list == 0 then
        subscribers[topic] = nil
        if #spareLists < MAX_SPARE_LISTS then spareLists[#spareLists + 1] = list end
    end
end

function sys.publish(...)
    local count = select("#", ...)
    queue[queueTail + 1] = count
    for i = 1, count do
        queue[queueTail + 1 + i] = (select(i, ...))
    end
    queueTail = queueTail + 1 + count
end

local function dispatch()
    while queueHead <= queueTail do
        local first, last = queueHead + 1, queueHead + queue[queueHead]
        queueHead = last + 1
        local topic = queue[first]
        if parked[topic] ~= nil then unpark(topic) end
        local list = subscribers[topic]
        if list then
            -- A snapshot: callbacks may subscribe or unsubscribe while we deliver (one needs no copy: its
            -- only entry is read before the call).
            local snapshot = #list == 1 and list or table.move(list, 1, #list, 1, {})
            for i = 1, #snapshot do
                local callback = snapshot[i]
                if type(callback) == "function" then
                    protectedCall(callback, unpack(queue, first + 1, last))
                else
                    sys.coresume(callback, unpack(queue, first, last))
                end
            end
        end
        for i = first - 1, last do queue[i] = nil end
    end
    -- Every slot was cleared on the way: start again at 1.
    queueHead, queueTail = 1, 0
end

-- Subscribes the running task to `topic` and waits (at most ms, when given) for a publication; returns
-- what woke it, packed: the topic and its values, or nothing on timeout.
local function awaitTopic(topic, ms)
    local co = sys.check_task()
    sys.subscribe(topic, co)
    local message = ms and pack(sys.wait(ms)) or pack(coroutine.yield())
    sys.unsubscribe(topic, co)
    return message
end

function sys.waitUntil(topic, ms)
    local message = awaitTopic(topic, ms)
    return message[1] ~= nil, unpack(message, 2, message.n)
end

function sys.waitUntilMsg(topic)
    local message = awaitTopic(topic)
    return unpack(message, 2, message.n)
end

function sys.waitUntilExt(topic, ms)
    local message = awaitTopic(topic, ms)
    if message[1] ~= nil then return unpack(message, 1, message.n) end
    return false
end

------------------------------------------------------------------------ the scheduler loop

-- One round: deliver queued publications, then take one message from the host (and the ones after it
-- that publish nothing: this function would do nothing else between them).
-- Returns false once the host says nothing more can happen (or the run was stopped).
local receive, MSG_TIMER = host.receive, rtos.MSG_TIMER
function sys.safeRun()
    if queueHead <= queueTail then dispatch() end
    local msg, param, extra = receive(queue)
    if msg == nil then return false end
    if msg == MSG_TIMER then onTimer(param, extra ~= 0) end
    return true
end

function sys.run()
    while sys.safeRun() do end
end

------------------------------------------------------------------------ named tasks with mailboxes

-- taskName -> { name, queue, timedOut, cb, and while the task waits in waitMsg: waiting (its coroutine),
-- target (nil: any message), deadline (mcu.ticks of its timeout); timerId, firesAt: its mailbox timer }
local tasks = {}
local ticks = mcu.ticks
local mailboxTimerTasks = {} -- timer id -> task

local function releaseMailboxTimer(task)
    local id = task.timerId
    if id == nil then return end
    rtos.timer_stop(id)
    timerTargets[id], mailboxTimerTasks[id], task.timerId, task.firesAt = nil, nil, nil, nil
end

function sys.taskInitEx(fn, taskName, cbFun, ...)
    if taskName == nil then
        log.error("sys", "taskInitEx needs a taskName", debug.traceback())
        return
    end
    if tasks[taskName] then releaseMailboxTimer(tasks[taskName]) end
    unpark(taskName)
    parkedFor[taskName], parkedDrops[taskName] = nil, type(cbFun) ~= "function"
    tasks[taskName] = { name = taskName, queue = {}, timedOut = false, cb = cbFun }
    return sys.taskInit(fn, ...)
end

function sys.taskDel(taskName)
    if tasks[taskName] then releaseMailboxTimer(tasks[taskName]) end
    unpark(taskName)
    parkedFor[taskName], parkedDrops[taskName] = nil, nil
    tasks[taskName] = nil
end

-- A task's waitMsg timeouts run on one timer of its own, which is moved rather than restarted: a server
-- task waits once per request, and starting and stopping a timer each time cost more than the rest of
-- the wait. The timer is left running when a wait ends; when it fires before the current deadline it is
-- armed again for the rest, and when no wait is under way it stops.
local function armMailboxTimer(task, ms, now)
    local id = task.timerId
    if id == nil then
        lastCallbackId = nextFreeId(lastCallbackId, WAIT_TIMER_LIMIT, CALLBACK_TIMER_LIMIT)
        id = lastCallbackId
        timerTargets[id], mailboxTimerTasks[id], task.timerId = MAILBOX_TIMER, task, id
    end
    if rtos.timer_start(id, ms) ~= 1 then return false end
    task.firesAt = now + ms
    return true
end

onMailboxTimer = function(id)
    local task = mailboxTimerTasks[id]
    task.firesAt = nil
    local deadline = task.deadline
    if deadline == nil then return end
    local now = ticks()
    if now < deadline then
        armMailboxTimer(task, deadline - now, now)
        return
    end
    task.deadline = nil
    task.timedOut = true
    sys.publish(task.name)
end

-- Sets the running wait's timeout; as sys.timerStart, a time under 1 ms starts none (and says so).
local function startTimeout(task, ms)
    checkNumber("waitMsg", 3, ms)
    local now = ticks()
    local firesAt = task.firesAt
    if firesAt ~= nil and firesAt <= now + ms and ms >= 1 then
        task.deadline = now + ms
    elseif armMailboxTimer(task, ms, now) then
        task.deadline = now + ms
    else
        log.error("sys", "timer not started: its time must be at least 1 ms, got " .. tostring(ms))
    end
end

-- What deliverFromHost resumes a waiting task with, before the message it hands over (see there).
local HANDED = {}
local yield = coroutine.yield

-- Takes the first queued message matching target; others go to the task's callback (or are dropped).
-- The queue is looked up on every round: a callback may send to the task or clean its mailbox.
local function takeMatching(task, target)
    while true do
        local queue = task.queue
        local count = #queue
        if count == 0 then return nil end
        local message = queue[1]
        if count == 1 then
            queue[1] = nil
        else
            table.remove(queue, 1)
        end
        if target == nil or message[1] == target then return message end
        if type(task.cb) == "function" then task.cb(message) end
    end
end

-- True when `co` waits in waitMsg of this task with an empty mailbox and nobody else listens to the task's
-- topic: what reaches the task now is taken (or dropped) by that wait and by nothing else.
local function waitsAlone(task, co)
    if co == nil or task.queue[1] ~= nil then return false end
    local name = task.name
    if parked[name] == co then return true end
    local list = subscribers[name]
    return list ~= nil and list[1] == co and list[2] == nil
end

local running = coroutine.running

-- waitMsg's wait. Returns the message taken from the mailbox (a table), HANDED followed by the event and
-- parameter of a message handed over straight from the host (see deliverFromHost), nil on timeout, or
-- false for an unknown task.
local function awaitMessage(taskName, target, ms)
    local task = tasks[taskName]
    if task == nil then
        log.error("sys", "waitMsg needs a task started with sys.taskInitEx", tostring(taskName))
        return false
    end
    local message = task.queue[1] ~= nil and takeMatching(task, target) or nil
    if message then return message end
    local co, isMain = running()
    if isMain then sys.check_task() end
    if ms and ms ~= 0 then startTimeout(task, ms) end
    task.timedOut = false
    task.target = target
    local listed = false -- subscribed to taskName through subscribers (else parked while suspended)
    local event, param
    while message == nil and not task.timedOut do
        if not listed then
            if subscribers[taskName] ~= nil or parked[taskName] ~= nil then
                sys.subscribe(taskName, co) -- after whoever listens already
                listed = true
            else
                parked[taskName], parkedFor[taskName] = co, target
            end
        end
        task.waiting = co -- only while suspended here
        message, event, param = yield()
        task.waiting = nil
        if parked[taskName] == co then
            parked[taskName] = nil
        else
            listed = true -- unparked while it waited
        end
        if message ~= HANDED then message = takeMatching(task, target) end
    end
    task.target, task.deadline, task.timedOut = nil, nil, false
    if listed then sys.unsubscribe(taskName, co) end
    return message, event, param
end

function sys.waitMsg(taskName, target, ms)
    local message, event, param = awaitMessage(taskName, target, ms)
    if message == HANDED then return { event, param } end
    return message
end

-- waitMsg for luatnet's libnet, which only looks at the message's first parameter: true and that
-- parameter, or false on timeout (or for an unknown task). No message table for a handed message.
function host.await_param(taskName, target, ms)
    local message, _, param = awaitMessage(taskName, target, ms)
    if message == HANDED then return true, param end
    if type(message) ~= "table" then return false end
    return true, message[2]
end

function sys.sendMsg(taskName, param1, param2, param3, param4)
    local task = tasks[taskName]
    if task == nil then return false end
    -- A message the waiting task would take off its queue and drop when it wakes (it waits for another,
    -- has no callback): dropped now, without waking it.
    if task.target ~= nil and param1 ~= task.target and type(task.cb) ~= "function"
        and waitsAlone(task, task.waiting) then
        return true
    end
    unpark(taskName)
    task.queue[#task.queue + 1] = { param1, param2, param3, param4 }
    sys.publish(taskName)
    return true
end

-- sys_send as the host calls it for a socket event it did not take care of itself (from sys.run's receive
-- the host resumes a parked task, or drops what it would drop, without this; from rtos.receive it always
-- comes here). A task that waits alone for exactly this message, while no publication is queued, is
-- resumed at once: what publishing and the next dispatch would do, without the round trip through the
-- queue. Its mailbox is empty, so the message is handed over with the resume instead of through the
-- mailbox.
local function deliverFromHost(taskName, event, param)
    local task = tasks[taskName]
    if task ~= nil and queueHead > queueTail and waitsAlone(task, task.waiting) then
        local target = task.target
        if target == nil or target == event then
            sys.coresume(task.waiting, HANDED, event, param)
            return true
        end
        -- What sys.sendMsg would drop at once (it waits for another message and has no callback).
        if type(task.cb) ~= "function" then return true end
    end
    return sys.sendMsg(taskName, event, param)
end

function sys.cleanMsg(taskName)
    local task = tasks[taskName]
    if task == nil then return false end
    task.queue = {}
    return true
end

function sys.taskCB(taskName, message)
    local task = tasks[taskName]
    if task and type(task.cb) == "function" then
        task.cb(message)
        return
    end
    log.error(tostring(taskName), "no callback for this task")
end

------------------------------------------------------------------------ waitable results of C functions

-- What asynchronous C functions return (http.request(...) and the like): obj.wait() inside a task gives
-- the values the C side publishes later on the object's own topic; obj.cb(fn) hands them to fn in a new
-- task. An object made with its values already known (a request refused at once) gives them at once.
local waitableMt = {}
waitableMt.__index = function(object, key)
    local topic, ready = rawget(object, "w"), rawget(object, "r")
    if key == "wait" then
        return function()
            if ready then return unpack(ready, 1, ready.n) end
            return sys.waitUntilMsg(topic)
        end
    elseif key == "cb" then
        return function(fn)
            if type(fn) ~= "function" then return end
            sys.taskInit(function()
                if ready then return fn(unpack(ready, 1, ready.n)) end
                fn(sys.waitUntilMsg(topic))
            end)
        end
    end
end

_G.sys_cw = function(topic, ...)
    local ready = select("#", ...) > 0 and pack(...) or nil
    return setmetatable({ w = topic, r = ready }, waitableMt)
end

_G.sys_pub = sys.publish
_G.sys_send = sys.sendMsg
host.set_mailbox_delivery {
    send = sys.sendMsg, delivery = deliverFromHost, handed = HANDED,
    parked = parked, parked_for = parkedFor, parked_drops = parkedDrops,
    failed = function(co, err) afterResume(co, false, err) end,
}
_G.sys_wait = sys.waitMsg

return sys
