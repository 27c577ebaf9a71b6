-- luatnet options: --virtual-time
-- The air8000 profile (device_air8000_test.adapters.json overrides its values): adapters present and
-- waiting as the profile says; mobile's values from the file; flight mode, netdrv.ctrl and wlan.connect /
-- disconnect cutting and restoring a TCP connection to a local echo peer (socat); bad arguments.
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"

local PORT, echo = peers.tcpEcho(60)

local events = {}
sys.subscribe("IP_READY", function(ip, adapter) events[#events + 1] = "IP_READY:" .. adapter end)
sys.subscribe("IP_LOSE", function(adapter) events[#events + 1] = "IP_LOSE:" .. adapter end)
local simInd = {}
sys.subscribe("SIM_IND", function(status) simInd[#simInd + 1] = status end)
local staEvents = {}
sys.subscribe("WLAN_STA_INC", function(event, arg1, arg2) staEvents[#staEvents + 1] = { event, arg1, arg2 } end)

-- the board and the adapters at start, before anything ran ------------------------------------------------
check.eq(rtos.bsp(), "Air8000", "rtos.bsp from the profile")
check.eq(hmeta.model(), "Air8000", "hmeta.model from the profile")
check.eq(hmeta.chip(), "EC718", "hmeta.chip from the profile")
check.eq(netsim.get(socket.ETH0), nil, "no ETH0 on an Air8000")
check.eq(netsim.get(socket.LWIP_GP).link, true, "4G's link is up, registering")
check.eq(netsim.get(socket.LWIP_GP).latency, 40, "4G on the cat1 preset")
check.eq(netsim.get(socket.LWIP_GP).loss, 0, "the file overrides the preset's loss")
check.eq(netsim.get(socket.LWIP_STA).link, false, "Wi-Fi STA waits for wlan.connect")
check.eq(netsim.get(socket.LWIP_ETH).link, false, "Ethernet waits for netdrv.setup")
check.eq(netsim.get(socket.LWIP_ETH).latency, 1, "Ethernet on the ethernet preset")
check.eq(netsim.get(socket.LWIP_USER1).link, false, "a second SPI Ethernet waits too")
check.eq(select(1, socket.adapter(socket.LWIP_GP)), false, "4G not ready during registration")
check.eq(mobile.status(), mobile.SEARCH, "searching during registration")
check.eq(mobile.apn(), nil, "no APN before registration")
check.eq(netdrv.ipv4(socket.LWIP_GP), "", "netdrv.ipv4 of unregistered 4G is empty")

local function waitFor(name, timeout)
    local deadline = mcu.ticks() + timeout
    while mcu.ticks() < deadline do
        for _, seen in ipairs(events) do
            if seen == name then return true end
        end
        sys.wait(10)
    end
    return false
end

local function clearEvents() events = {} end

-- one echo round trip through `adapter`; returns the reply or nil
local function echoOnce(task, adapter, text)
    local c = socket.create(adapter, task)
    socket.config(c)
    local reply
    if libnet.connect(task, 3000, c, "127.0.0.1", PORT) then
        libnet.tx(task, 3000, c, text)
        if libnet.wait(task, 3000, c) then
            local _, data = socket.read(c)
            reply = data
        end
        libnet.close(task, 1000, c)
    end
    socket.release(c)
    return reply
end

local function openConnection(task, adapter)
    local c = socket.create(adapter, task)
    socket.config(c)
    check.truthy(libnet.connect(task, 3000, c, "127.0.0.1", PORT), "connected on adapter " .. adapter)
    return c
end

sysplus.taskInitEx(function()
    check.truthy(peers.awaitTcp(PORT), "echo peer up")

    -- mobile -----------------------------------------------------------------------------------------------
    check.truthy(waitFor("IP_READY:" .. socket.LWIP_GP, 3000), "4G registers: IP_READY on LWIP_GP")
    check.eq(simInd[1], "RDY", "SIM_IND RDY at start")
    check.eq(mobile.status(), mobile.REGISTERED, "registered")
    check.eq(mobile.imei(), "861234567890127", "imei from the file")
    check.eq(mobile.imsi(), "460019876543210", "imsi from the file")
    check.eq(mobile.iccid(), "89860112233445566778", "iccid from the file")
    check.eq(mobile.number(), "+8613800000000", "number from the file")
    check.eq(mobile.apn(), "cmiot", "apn from the file once registered")
    check.eq(mobile.simid(), 0, "SIM in slot 0")
    check.eq(mobile.csq(), 20, "csq")
    check.eq(mobile.rssi(), -73, "rssi")
    check.eq(mobile.rsrp(), -98, "rsrp")
    check.eq(mobile.rsrq(), -12, "rsrq")
    check.eq(mobile.snr(), 9, "snr")
    check.eq(mobile.eci(), 99887766, "eci of the serving cell")
    check.eq(mobile.tac(), 4321, "tac of the serving cell")
    netsim.mobile({ csq = 9, rsrp = -115 })
    check.eq(mobile.csq() .. " " .. mobile.rsrp() .. " " .. mobile.rssi(), "9 -115 -73", "netsim.mobile changes the signal")
    check.raises("number expected", "netsim.mobile with a string value", netsim.mobile, { csq = "high" })
    check.eq(#mobile.getCellInfo(), 0, "no cell info before reqCellInfo")
    mobile.reqCellInfo(15)
    check.truthy(sys.waitUntil("CELL_INFO_UPDATE", 3000), "CELL_INFO_UPDATE after reqCellInfo")
    local cells = mobile.getCellInfo()
    check.eq(#cells, 1, "the file's one cell")
    check.eq(cells[1].cid, 99887766, "its cid")
    check.eq(cells[1].mnc, 1, "its mnc")
    check.eq(cells[1].rsrp, -98, "its rsrp")
    check.eq(echoOnce("dev", socket.LWIP_GP, "over 4G"), "over 4G", "echo through LWIP_GP")

    -- flight mode cuts LWIP_GP: the open connection fails, new ones fail until it is left again
    local c = openConnection("dev", socket.LWIP_GP)
    clearEvents()
    check.eq(mobile.flymode(0, true), false, "flymode returns the previous state (off)")
    check.truthy(waitFor("IP_LOSE:" .. socket.LWIP_GP, 1000), "IP_LOSE on LWIP_GP in flight mode")
    check.eq(mobile.status(), mobile.UNREGISTER, "not registered in flight mode")
    check.eq(mobile.csq(), 0, "no signal in flight mode")
    check.eq(mobile.flymode(), true, "flymode() reads the state")
    local sent = socket.tx(c, "lost")
    local waited = libnet.wait("dev", 1000, c)
    check.eq(sent and waited, false, "the open connection fails with the link cut")
    libnet.close("dev", 500, c)
    socket.release(c)
    check.eq(echoOnce("dev", socket.LWIP_GP, "x"), nil, "no new connection in flight mode")
    check.eq(mobile.flymode(0, false), true, "leaving flight mode returns the previous state (on)")
    check.truthy(waitFor("IP_READY:" .. socket.LWIP_GP, 3000), "IP_READY on LWIP_GP after registering again")
    check.eq(echoOnce("dev", socket.LWIP_GP, "back on 4G"), "back on 4G", "reconnects through LWIP_GP")

    -- netdrv: Ethernet over SPI --------------------------------------------------------------------------------
    check.eq(netdrv.link(socket.LWIP_ETH), nil, "no Ethernet driver before setup")
    check.eq(netdrv.ctrl(socket.LWIP_ETH, netdrv.CTRL_UPDOWN, 1), nil, "ctrl before setup: nothing")
    clearEvents()
    check.eq(netdrv.setup(socket.LWIP_ETH, netdrv.CH390, { spi = 0, cs = 8 }), true, "netdrv.setup CH390")
    check.eq(netdrv.dhcp(socket.LWIP_ETH, true), true, "netdrv.dhcp")
    check.truthy(waitFor("IP_READY:" .. socket.LWIP_ETH, 2000), "IP_READY on LWIP_ETH after setup")
    check.eq(netdrv.ready(socket.LWIP_ETH), true, "netdrv.ready")
    check.eq(netdrv.link(socket.LWIP_ETH), true, "netdrv.link")
    local anyReady, mask = netdrv.ready(-1)
    check.eq(anyReady, true, "ready(-1) says some adapter is ready")
    check.eq(mask & (1 << socket.LWIP_ETH) ~= 0 and mask & (1 << socket.LWIP_GP) ~= 0, true, "its mask has ETH and GP")
    check.eq(#netdrv.mac(socket.LWIP_ETH), 12, "mac as 12 hex digits")
    check.eq(#netdrv.mac(socket.LWIP_ETH, nil, false), 6, "mac as 6 raw bytes")
    check.eq(netdrv.napt(socket.LWIP_GP), true, "napt through 4G")
    check.eq(netdrv.napt(-1), true, "napt off")
    check.eq(echoOnce("dev", socket.LWIP_ETH, "over ethernet"), "over ethernet", "echo through LWIP_ETH")

    c = openConnection("dev", socket.LWIP_ETH)
    clearEvents()
    local ok, code = netdrv.ctrl(socket.LWIP_ETH, netdrv.CTRL_UPDOWN, 0)
    check.eq(ok, true, "CTRL_UPDOWN 0 done")
    check.eq(code, 0, "with code 0")
    check.truthy(waitFor("IP_LOSE:" .. socket.LWIP_ETH, 1000), "IP_LOSE on LWIP_ETH")
    check.eq(netdrv.ready(socket.LWIP_ETH), false, "not ready while down")
    sent = socket.tx(c, "lost")
    waited = libnet.wait("dev", 1000, c)
    check.eq(sent and waited, false, "the open Ethernet connection fails")
    libnet.close("dev", 500, c)
    socket.release(c)
    check.eq(echoOnce("dev", socket.LWIP_ETH, "x"), nil, "no new connection while down")
    check.eq(netdrv.ctrl(socket.LWIP_ETH, netdrv.CTRL_UPDOWN, 1), true, "CTRL_UPDOWN 1 done")
    check.truthy(waitFor("IP_READY:" .. socket.LWIP_ETH, 2000), "IP_READY on LWIP_ETH again")
    check.eq(echoOnce("dev", socket.LWIP_ETH, "ethernet again"), "ethernet again", "reconnects through LWIP_ETH")
    local ip, netmask, gw = netdrv.ipv4(socket.LWIP_ETH, "192.168.1.10", "255.255.255.0", "192.168.1.1")
    check.eq(ip .. " " .. netmask .. " " .. gw, "192.168.1.10 255.255.255.0 192.168.1.1", "a static address is reported")
    check.eq(netdrv.ipv4(socket.LWIP_ETH, "300.1.1.1", "255.255.255.0", "192.168.1.1"), nil, "an invalid one: nothing")

    -- wlan ----------------------------------------------------------------------------------------------------
    check.eq(wlan.init(), true, "wlan.init")
    check.eq(wlan.setMode(wlan.STATION), true, "wlan.setMode")
    check.eq(wlan.ready(), false, "not joined yet")
    check.eq(wlan.connect("office", "wrong-password"), true, "connect starts even with a wrong password")
    sys.wait(400)
    check.eq(staEvents[1] and staEvents[1][1], "DISCONNECTED", "a wrong password: WLAN_STA_INC DISCONNECTED")
    check.eq(staEvents[1] and staEvents[1][2], 15, "reason 15 (4-way handshake timeout)")
    check.eq(wlan.ready(), false, "not joined after a wrong password")
    wlan.connect("nowhere", "x")
    sys.wait(400)
    check.eq(staEvents[2] and staEvents[2][2], 201, "an unknown network: reason 201")
    clearEvents()
    check.eq(wlan.connect("office", "secret123"), true, "connect with the right password")
    check.truthy(waitFor("IP_READY:" .. socket.LWIP_STA, 2000), "IP_READY on LWIP_STA")
    check.eq(staEvents[3] and staEvents[3][1], "CONNECTED", "WLAN_STA_INC CONNECTED")
    check.eq(staEvents[3] and staEvents[3][2], "office", "with the SSID")
    check.eq(staEvents[3] and staEvents[3][3]:toHex(), "A0B1C2D3E4F5", "and the BSSID (6 bytes)")
    check.eq(wlan.ready(), true, "wlan.ready once joined")
    check.eq(wlan.getInfo().bssid, "A0B1C2D3E4F5", "getInfo bssid")
    check.eq(wlan.getInfo().rssi, -48, "getInfo rssi")
    check.eq(#wlan.getMac(), 12, "getMac as hex")
    check.eq(echoOnce("dev", socket.LWIP_STA, "over wifi"), "over wifi", "echo through LWIP_STA")
    clearEvents()
    wlan.disconnect()
    check.truthy(waitFor("IP_LOSE:" .. socket.LWIP_STA, 1000), "IP_LOSE on LWIP_STA after disconnect")
    check.eq(staEvents[4] and staEvents[4][1], "DISCONNECTED", "WLAN_STA_INC DISCONNECTED")
    check.eq(staEvents[4] and staEvents[4][2], 8, "reason 8 (leaving)")
    check.eq(#wlan.scanResult(), 0, "no results before a scan")
    wlan.scan()
    check.truthy(sys.waitUntil("WLAN_SCAN_DONE", 2000), "WLAN_SCAN_DONE")
    local results = wlan.scanResult()
    check.eq(#results, 2, "both networks of the file")
    check.eq(results[1].ssid .. "/" .. results[1].channel .. "/" .. results[1].rssi, "office/11/-48", "the first one")
    check.eq(#results[2].bssid, 6, "a made-up BSSID for the second")
    clearEvents()
    check.eq(wlan.createAP("luatnet-ap", "12345678"), true, "createAP")
    check.truthy(waitFor("IP_READY:" .. socket.LWIP_AP, 1000), "IP_READY on LWIP_AP")
    check.eq(wlan.stopAP(), true, "stopAP")
    check.truthy(waitFor("IP_LOSE:" .. socket.LWIP_AP, 1000), "IP_LOSE on LWIP_AP")

    -- bad input: the firmware's returns or a Lua error, never a crash ------------------------------------------
    check.raises("number expected", "mobile.imei with a string index", mobile.imei, "x")
    check.raises("number expected", "netdrv.setup with a string id", netdrv.setup, "eth")
    check.raises("number expected", "netdrv.ctrl without a command", netdrv.ctrl, socket.LWIP_ETH)
    check.eq(netdrv.setup(socket.ETH0), false, "setup of an adapter the module lacks")
    check.eq(netdrv.setup(99), false, "setup of an unknown id")
    check.eq(netdrv.ready(99), false, "ready of an unknown id")
    check.eq(netdrv.link(-1), nil, "link of a negative id")
    check.eq(netdrv.ctrl(socket.LWIP_GP, netdrv.CTRL_UPDOWN, 0), nil, "no ctrl on the cellular driver")
    check.eq(netdrv.mac(socket.LWIP_ETH, "short"), nil, "a MAC that is not 6 bytes")
    check.eq(netdrv.mac(99), "000000000000", "mac of an unknown id reads zeros")
    check.eq(netdrv.ipv4(99), nil, "ipv4 of an unknown id")
    check.eq(wlan.connect(), nil, "connect without an SSID")
    check.eq(wlan.createAP(""), nil, "createAP with an empty SSID")
    check.raises("string expected", "createAP without an SSID", wlan.createAP)
    check.eq(mobile.flymode(0, "yes"), false, "flymode with a non-boolean changes nothing")
    check.eq(mobile.status(), mobile.REGISTERED, "still registered")
    peers.kill(echo)
    check.done(124)
end, "dev")
