-- Micro-benchmark of sys's timer bookkeeping (issue 13): LIVE timers stay armed while RESTARTS calls to
-- sys.timerStart restart some of them, as a task server does with one libnet timeout per task (the same
-- function, one argument per task). Prints the time per restart. Nothing fires: the delay is an hour.
--   LIVE=10000 RESTARTS=100000 build/src/luatnet bench/sys_timers.lua   (those are the defaults)
local live = tonumber(os.getenv("LIVE")) or 10000
local restarts = tonumber(os.getenv("RESTARTS")) or 100000
local HOUR = 3600 * 1000

local function timeout(taskName) end
local names = {}
for i = 1, live do names[i] = "task" .. i end

local t0 = os.clock()
for i = 1, live do sys.timerStart(timeout, HOUR, names[i]) end
local setup = os.clock() - t0
-- Restarts in a scattered order (a prime stride), as tasks' timeouts come in no particular order.
t0 = os.clock()
for i = 1, restarts do sys.timerStart(timeout, HOUR, names[(i * 7919) % live + 1]) end
local elapsed = os.clock() - t0
print(string.format("live %d: started in %.3f s CPU; restarts %d: %.3f s CPU, %.2f us per restart", live, setup,
    restarts, elapsed, elapsed * 1e6 / restarts))
for i = 1, live do sys.timerStop(timeout, names[i]) end
os.exit(0)
