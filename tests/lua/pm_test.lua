-- pm under the air780e profile (pm_test.adapters.json: 4G registers in 200 ms): the sleep modes that power
-- the radio down (pm.request DEEP/HIB, pm.power WORK_MODE 3) take LWIP_GP down (IP_LOSE), waking
-- (pm.request IDLE, WORK_MODE 0) registers it again (IP_READY); LIGHT sleep and a request for another chip
-- leave the link alone; a TCP connection to a local echo peer fails when the radio sleeps. Deep sleep
-- timers: DTIMER_WAKEUP while awake; after a deep sleep request (in a child run) the wake-up boots the
-- device afresh (exit 75, as rtos.reboot), the timer keeping an otherwise idle run alive until then.
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"

local PORT, echo = peers.tcpEcho(60)

local events = {}
sys.subscribe("IP_READY", function(ip, adapter) if adapter == socket.LWIP_GP then events[#events + 1] = "READY" end end)
sys.subscribe("IP_LOSE", function(adapter) if adapter == socket.LWIP_GP then events[#events + 1] = "LOSE" end end)

local function waitEvent(name, ms)
    local deadline = mcu.ticks() + ms
    while mcu.ticks() < deadline do
        if events[#events] == name then return true end
        sys.wait(10)
    end
    return false
end

sysplus.taskInitEx(function()
    check.truthy(waitEvent("READY", 3000), "4G registered")
    check.eq(pm.request(pm.LIGHT), true, "LIGHT sleep accepted")
    sys.wait(300)
    check.eq(events[#events], "READY", "LIGHT sleep keeps the radio")
    check.eq(pm.request(pm.DEEP, 1), true, "a request for the Wi-Fi chip is accepted")
    sys.wait(100)
    check.eq(events[#events], "READY", "and leaves 4G alone")

    peers.awaitTcp(PORT)
    local netc = socket.create(socket.LWIP_GP, "pm")
    socket.config(netc)
    check.eq(libnet.connect("pm", 5000, netc, "127.0.0.1", PORT), true, "connected over 4G")

    local started = mcu.ticks()
    check.eq(pm.request(pm.HIB), true, "HIB accepted")
    check.truthy(waitEvent("LOSE", 1000), "HIB: IP_LOSE on LWIP_GP")
    check.truthy(mcu.ticks() - started < 500, "at once")
    check.eq(socket.adapter(socket.LWIP_GP), false, "4G is not ready while the radio sleeps")
    local sent = socket.tx(netc, "x")
    local waited = libnet.wait("pm", 1000, netc)
    check.eq(sent and waited, false, "the connection fails while the radio sleeps")
    libnet.close("pm", 500, netc)
    socket.release(netc)
    check.eq(pm.request(pm.HIB), true, "asking again changes nothing")

    started = mcu.ticks()
    check.eq(pm.request(pm.IDLE), true, "IDLE wakes")
    check.truthy(waitEvent("READY", 2000), "IP_READY after waking")
    check.truthy(mcu.ticks() - started >= 150, "after the registration time")

    check.eq(pm.power(pm.WORK_MODE, 3), true, "WORK_MODE 3 (PSM+)")
    check.truthy(waitEvent("LOSE", 1000), "PSM+ takes 4G down")
    check.eq(pm.power(pm.WORK_MODE, 1), true, "WORK_MODE 1 (low power, network kept)")
    check.truthy(waitEvent("READY", 2000), "the radio registers again")
    check.eq(pm.power(pm.USB, false), true, "other power switches accepted")
    check.eq(table.concat({ pm.lastReson() }, ","), "0,0,0", "a normal power-on")

    mobile.flymode(0, true)
    check.truthy(waitEvent("LOSE", 1000), "flight mode")
    pm.request(pm.DEEP)
    pm.request(pm.IDLE)
    sys.wait(400)
    check.eq(events[#events], "LOSE", "waking does not end flight mode")
    mobile.flymode(0, false)
    check.truthy(waitEvent("READY", 2000), "leaving flight mode registers")

    local wakeups = {}
    sys.subscribe("DTIMER_WAKEUP", function(id) wakeups[#wakeups + 1] = id end)
    started = mcu.ticks()
    check.eq(pm.dtimerStart(1, 300), true, "a deep sleep timer starts")
    local running, left = pm.dtimerCheck(1)
    check.truthy(running and left > 0 and left <= 300, "dtimerCheck: running, time left " .. tostring(left))
    check.eq(pm.dtimerStart(2, 200), true, "a second timer")
    check.eq(select("#", pm.dtimerStop(2)), 0, "dtimerStop returns nothing")
    check.eq(pm.dtimerCheck(2), false, "a stopped timer is not running")
    check.eq(pm.dtimerStart(7, 100), false, "no timer 7")
    check.eq(pm.dtimerStart(0, 0), false, "a zero timeout")
    check.truthy(sys.waitUntil("DTIMER_WAKEUP", 2000), "DTIMER_WAKEUP while awake")
    sys.wait(300)
    check.eq(table.concat(wakeups, ","), "1", "from timer 1 only, once")
    check.truthy(mcu.ticks() - started >= 290, "after its timeout")
    check.eq(pm.dtimerCheck(1), false, "a fired timer is not running")

    local function child(body)
        local script = os.tmpname() .. ".lua"
        peers.writeFile(script, body)
        local job = peers.run(string.format("%s --timeout 10 --device air780e %s; echo EXIT=$?",
            os.getenv("LUATNET_BIN"), script), 20)
        local out = peers.await(job, 15000, "EXIT=")
        os.execute("rm -f " .. script)
        return out
    end
    local out = child([[
        print("CHILD start", pm.dtimerStart(0, 300))
        print("CHILD psm", pm.power(pm.WORK_MODE, 3))
    ]])
    check.truthy(out:find("CHILD psm true", 1, true), "the child asked for PSM+")
    check.truthy(out:find("deep sleep timer 0 wakes the device", 1, true), "the wake-up is logged: " .. out)
    check.truthy(out:find("EXIT=75", 1, true), "and boots the device afresh (exit 75)")
    out = child([[
        print("CHILD io", pm.ioVol(pm.IOVOL_ALL_GPIO, 1800))
        pm.shutdown()
        print("CHILD after shutdown")
    ]])
    check.truthy(out:find("CHILD io true", 1, true), "pm.ioVol accepted")
    check.truthy(out:find("powers off", 1, true) and not out:find("CHILD after", 1, true), "pm.shutdown ends the run")
    check.truthy(out:find("EXIT=0", 1, true), "with exit code 0")
    out = child([[ pm.reboot(); print("CHILD after reboot") ]])
    check.truthy(out:find("EXIT=75", 1, true) and not out:find("CHILD after", 1, true), "pm.reboot is rtos.reboot")

    check.raises("number expected", "pm.request with a string", pm.request, "deep")
    check.raises("number expected", "pm.power with a string id", pm.power, "work")
    peers.kill(echo)
    check.done(44)
end, "pm")
