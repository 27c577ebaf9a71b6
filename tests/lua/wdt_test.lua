-- wdt under a device profile, in child runs (--device air780e): a watchdog fed in time keeps the run going;
-- one not fed within its timeout resets the device, which ends the run as rtos.reboot does (exit 75) and
-- logs why; wdt.close stops it; a bad timeout raises.
local check = require "check"
local peers = require "peers"

local function child(body, extra)
    local script = os.tmpname() .. ".lua"
    peers.writeFile(script, body)
    local job = peers.run(string.format("%s --timeout 10 --device air780e %s %s; echo EXIT=$?",
        os.getenv("LUATNET_BIN"), extra or "", script), 20)
    local out = peers.await(job, 20000, "EXIT=")
    os.execute("rm -f " .. script)
    return out
end

sysplus.taskInitEx(function()
    local out = child([[
        sys.taskInit(function()
            print("CHILD init", wdt.init(300))
            for _ = 1, 10 do sys.wait(100); wdt.feed() end
            print("CHILD fed for a second")
            sys.wait(2000)
            print("CHILD still running")
            os.exit(0)
        end)
    ]])
    check.truthy(out:find("CHILD init true", 1, true), "wdt.init returns true")
    check.truthy(out:find("CHILD fed for a second", 1, true), "fed in time: no reset")
    check.eq(out:find("CHILD still running", 1, true), nil, "not fed: the run ends")
    check.truthy(out:find("not fed within 300 ms", 1, true), "the reset is logged: " .. out)
    check.truthy(out:find("EXIT=75", 1, true), "exit code 75, as rtos.reboot")

    out = child([[
        sys.taskInit(function()
            wdt.init(200)
            print("CHILD setTimeout", wdt.setTimeout(2000))
            sys.wait(600)
            print("CHILD longer timeout held")
            print("CHILD close", wdt.close())
            sys.wait(2500)
            print("CHILD closed held")
            print("CHILD raises", pcall(wdt.init, 0), pcall(wdt.init, "x"), pcall(wdt.init, 2 ^ 40))
            os.exit(0)
        end)
    ]])
    check.truthy(out:find("CHILD setTimeout true", 1, true), "setTimeout returns true")
    check.truthy(out:find("CHILD longer timeout held", 1, true), "setTimeout re-arms with the new timeout")
    check.truthy(out:find("CHILD close true", 1, true), "close returns true")
    check.truthy(out:find("CHILD closed held", 1, true), "a closed watchdog never fires")
    check.truthy(out:find("CHILD raises false false false", 1, true), "zero, a string, a huge timeout raise")
    check.truthy(out:find("EXIT=0", 1, true), "the run ends normally")
    check.done(11)
end, "wdt")
