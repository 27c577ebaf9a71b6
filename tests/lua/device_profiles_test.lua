-- luatnet options: --virtual-time
-- The air780e profile with nothing overridden (device_profiles_test.adapters.json names only the device):
-- the board's names, 4G alone on LWIP_GP registering after 1 s, mobile's built-in values, no Wi-Fi.
-- Other profiles run in child luatnet processes with --device.
local check = require "check"
local peers = require "peers"

local readyAt
sys.subscribe("IP_READY", function(ip, adapter)
    if adapter == socket.LWIP_GP then readyAt = readyAt or mcu.ticks() end
end)
local simInd
sys.subscribe("SIM_IND", function(status) simInd = simInd or (readyAt and "after IP_READY" or status) end)

check.eq(rtos.bsp(), "EC618", "rtos.bsp of an Air780E")
check.eq(hmeta.model(), "Air780E", "hmeta.model")
check.eq(wlan, nil, "no wlan module on an Air780E")
check.eq(netsim.get(socket.LWIP_STA), nil, "no Wi-Fi adapter")
check.eq(netsim.get(socket.ETH0), nil, "no ETH0")
check.eq(netsim.get(socket.LWIP_GP).latency, 40, "4G on the cat1 preset (40 ms)")
check.eq(netsim.get(socket.LWIP_GP).bandwidth, 5000, "cat1 uplink 5 Mbit/s")
check.eq(mobile.imei(), "869329060001230", "the profile's IMEI")
check.eq(mobile.csq(), 24, "the profile's csq")
check.eq(mobile.rssi(), -65, "the profile's rssi")

-- a script run with --device in a child process; returns its output
local function runChild(device, body)
    local script = os.tmpname() .. ".lua"
    peers.writeFile(script, body)
    local job = peers.run(string.format("%s --timeout 10 --device %s %s", os.getenv("LUATNET_BIN"), device, script), 20)
    local out = peers.await(job, 20000, "CHILD DONE")
    os.execute("rm -f " .. script)
    return out
end

sysplus.taskInitEx(function()
    sys.waitUntil("IP_READY", 3000)
    check.eq(simInd, "RDY", "SIM_IND RDY, before IP_READY")
    check.truthy(readyAt and readyAt >= 900 and readyAt < 2000, "IP_READY on LWIP_GP after about 1 s: " .. tostring(readyAt))
    check.eq(socket.dft(), socket.LWIP_GP, "LWIP_GP is the default adapter")
    check.eq(mobile.apn(), "cmnet", "the profile's APN")

    local out = runChild("air8101", [[
        print("CHILD", rtos.bsp(), hmeta.model(), mobile == nil, wlan ~= nil, socket.dft() == socket.LWIP_STA,
              netsim.get(socket.LWIP_ETH).link, netsim.get(socket.LWIP_USER1) ~= nil, netsim.get(socket.LWIP_GP) == nil)
        print("CHILD DONE")
    ]])
    check.truthy(out:find("CHILD Air8101 Air8101 true true true false true true", 1, true),
        "air8101: Wi-Fi and Ethernet, no cellular: " .. out)
    out = runChild("air8000", [[
        print("CHILD", rtos.bsp(), mobile.imei(), netsim.get(socket.LWIP_STA).link)
        print("CHILD DONE")
    ]])
    check.truthy(out:find("CHILD Air8000 869329060001230 false", 1, true), "air8000 from --device: " .. out)
    check.done(16)
end, "profiles")
