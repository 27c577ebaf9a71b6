-- sys timers and waits at their limits: 0 ms (returns at once / not started, as on the device), huge
-- delays (capped, never early), and thousands of live timers found in O(1) with the firmware's meaning of
-- "the same timer" (function and arguments).
local check = require "check"

-- rtos.receive with a huge timeout waits for the next message (no clock overflow)
check.eq(rtos.timer_start(12345, 30), 1, "a plain rtos timer")
local kind, id
repeat kind, id = rtos.receive(math.maxinteger) until kind ~= 0 -- 0: another kind of message (IP_READY)
check.truthy(kind == rtos.MSG_TIMER and id == 12345, "rtos.receive(math.maxinteger) returns the timer's message")

-- sys.timerStart(f, 0): not started, nil, and nothing fires
local zeroFired = false
check.eq(sys.timerStart(function() zeroFired = true end, 0), nil, "timerStart with 0 ms returns nil")
check.eq(sys.timerLoopStart(function() zeroFired = true end, 0), nil, "timerLoopStart with 0 ms returns nil")
check.eq(rtos.timer_start(7, 0), 0, "rtos.timer_start with 0 ms answers 0")
check.eq(rtos.timer_start(8, -5), 0, "rtos.timer_start with a negative time answers 0")
local function zero() end
sys.timerStart(zero, 50, "x")
check.eq(sys.timerStart(zero, 0, "x"), nil, "a 0 ms restart is refused...")
check.eq(sys.timerIsActive(zero, "x"), false, "...after stopping the same timer, as on the device")

-- huge delays are capped: they neither fire early nor fail
local early = {}
local big = sys.timerStart(function() early[#early + 1] = "maxinteger" end, math.maxinteger)
check.truthy(math.type(big) == "integer", "timerStart with math.maxinteger ms starts a timer")
sys.timerLoopStart(function() early[#early + 1] = "loop" end, math.maxinteger)
check.eq(rtos.timer_start(9, math.maxinteger), 1, "rtos.timer_start with math.maxinteger answers 1")
sys.taskInit(function()
    sys.wait(2 ^ 62)
    early[#early + 1] = "wait"
end)
sys.taskInit(function()
    sys.waitUntil("NEVER_PUBLISHED", math.maxinteger)
    early[#early + 1] = "waitUntil"
end)

-- many live timers: 5,000 on one function told apart by argument (a task server's timeouts), 1,000
-- others; restarting, stopping and asking keep the firmware's meaning
local fired = {}
local function timeout(name, extra) fired[#fired + 1] = name .. (extra or "") end
local N = 5000
for i = 1, N do sys.timerStart(timeout, 3600000, "t" .. i) end
local others = {}
for i = 1, 1000 do
    others[i] = function() fired[#fired + 1] = "other" .. i end
    sys.timerStart(others[i], 3600000)
end
check.truthy(sys.timerIsActive(timeout, "t1"), "timer found by function and argument")
check.truthy(sys.timerIsActive(timeout, "t" .. N), "the last one too")
check.eq(sys.timerIsActive(timeout), false, "no timer of that function without arguments")
check.eq(sys.timerIsActive(timeout, "t1", nil), false, "arguments count: (t1, nil) is another timer")
check.eq(sys.timerIsActive(timeout, "nobody"), false, "unknown argument")
-- restart every one of them, in scattered order: still one timer each, they fire once with their
-- arguments; scanning every live timer per restart took 1.4 s of CPU here, the index about 0.07 s
local t0 = os.clock()
for k = 1, N do
    local i = (k * 7919) % N + 1
    sys.timerStart(timeout, 30 + i % 7, "t" .. i)
end
local restartCpu = os.clock() - t0
check.truthy(restartCpu < 0.4, string.format("5,000 restarts among 6,000 live timers took %.3f s CPU", restartCpu))
sys.timerStart(timeout, 40, "t1", "+")   -- another timer: same function and first argument, more arguments
sys.timerStart(timeout, 40, nil, "nil")  -- a nil first argument
sys.timerStart(timeout, 40, 0 / 0, "nan") -- NaN never equals itself: never "the same" timer
sys.timerStart(timeout, 40, 0 / 0, "nan")
sys.timerStop(timeout, "t2")
sys.timerStop(timeout, "t3", "no such extra")
sys.timerStop(timeout, nil, "nil")
check.eq(sys.timerIsActive(timeout, "t2"), false, "timerStop(fn, arg) stops that timer")
check.truthy(sys.timerIsActive(timeout, "t3"), "timerStop with other arguments leaves it")
check.truthy(sys.timerIsActive(timeout, "t1", "+"), "(t1, +) is its own timer")
for i = 1, 500 do sys.timerStop(others[i]) end
sys.timerStopAll(others[501])
local id = sys.timerStart(others[502], 3600000)
sys.timerStop(id)
check.eq(sys.timerIsActive(others[502]), false, "a timer stopped by id is no longer found by function")
sys.taskInit(function()
    local co = coroutine.running()
    sys.timerStart(function() check.truthy(sys.timerIsActive(co), "a task's wait timer is found by its coroutine") end, 5)
    sys.wait(20)
end)

sys.taskInit(function()
    sys.wait(300)
    local count, nans = {}, 0
    for _, name in ipairs(fired) do
        count[name] = (count[name] or 0) + 1
        if name:find("nan", 1, true) then nans = nans + 1 end
    end
    local once = true
    for i = 1, N do
        local expected = i ~= 2 and 1 or nil
        if count["t" .. i] ~= expected then once = false end
    end
    check.truthy(once, "each restarted timer fired exactly once; the stopped one never")
    check.eq(count["t1+"], 1, "(t1, +) fired")
    check.eq(count["t3"], 1, "t3 fired despite the non-matching stop")
    check.eq(nans, 2, "both NaN-argument timers fired")
    check.eq(count["nil"], nil, "the nil-first-argument timer was stopped")
    local othersFired = 0
    for _, name in ipairs(fired) do if name:find("^other") then othersFired = othersFired + 1 end end
    check.eq(othersFired, 0, "the hour-long timers did not fire")
    sys.timerStopAll(timeout)
    check.eq(sys.timerIsActive(timeout, "t3"), false, "timerStopAll stops every timer of a function")
    check.eq(zeroFired, false, "0 ms timers never fired")
    check.eq(#early, 0, "huge delays did not fire early (" .. table.concat(early, ",") .. ")")
    -- sys.wait(0) and negative waits return at once, without yielding to other tasks
    local order = {}
    sys.taskInit(function() order[#order + 1] = "other" end)
    sys.timerStart(function() order[#order + 1] = "timer" end, 1)
    local before = mcu.ticks()
    local r = table.pack(sys.wait(0))
    sys.wait(-1)
    order[#order + 1] = "waited"
    check.eq(r.n, 0, "sys.wait(0) returns nothing")
    check.eq(table.concat(order, ","), "other,waited", "sys.wait(0) did not yield")
    check.truthy(mcu.ticks() - before < 50, "and took no time")
    check.done(33)
end)
sys.run()
