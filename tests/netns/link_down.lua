-- Run by link_test.sh inside a network namespace: LWIP_GP is a veth whose far end runs an echo server.
-- Cutting the link must give IP_LOSE, EVENT -1 on the connected socket and a pending linkup; restoring it
-- gives IP_READY, LINK 0, and a libnet-style client connects and echoes again.
local check = require "check"
local libnet = require "libnet"

local LINK = os.getenv("LINK_IF")
local PEER, PORT = "192.0.2.2", 7000
local TASK = "uplink"

local function echoOnce(netc, text)
    if not libnet.tx(TASK, 3000, netc, text) then return nil end
    local ok, event = libnet.wait(TASK, 3000, netc)
    if not (ok and event) then return nil end
    local _, data = socket.read(netc)
    return data
end

sysplus.taskInitEx(function()
    local ready, ip, adapter = sys.waitUntil("IP_READY", 3000)
    check.eq(ready, true, "IP_READY at start")
    check.eq(ip, "192.0.2.1", "with the veth address")
    check.eq(adapter, socket.LWIP_GP, "for LWIP_GP")
    check.eq(socket.localIP(socket.LWIP_GP), "192.0.2.1", "localIP of the mapped interface")
    check.eq(socket.dft(), socket.LWIP_GP, "the config's default adapter")
    check.eq(socket.create(socket.ETH0), nil, "ETH0 is not mapped here")

    local netc = socket.create(nil, TASK)
    socket.config(netc)
    for _ = 1, 50 do -- the peer's socat may still be starting
        if libnet.connect(TASK, 2000, netc, PEER, PORT) then break end
        socket.close(netc)
        sys.wait(100)
    end
    check.eq(socket.state(netc), 5, "connected over the veth")
    check.eq(echoOnce(netc, "before"), "before", "echo before the cut")

    local waitOk, waitDone = socket.wait(netc)
    check.truthy(waitOk and not waitDone, "waiting for data when the link goes")
    os.execute("ip link set " .. LINK .. " down")
    local lost, lostAdapter = sys.waitUntil("IP_LOSE", 5000)
    check.eq(lost, true, "IP_LOSE when the link goes down")
    check.eq(lostAdapter, socket.LWIP_GP, "for LWIP_GP")
    local msg = sys_wait(TASK, socket.EVENT, 3000)
    check.eq(msg and msg[2], -1, "the connected socket gets EVENT -1")
    check.eq(select(1, socket.adapter(socket.LWIP_GP)), false, "socket.adapter says not ready")
    socket.close(netc)

    local linkOk, linkDone = socket.linkup(netc)
    check.truthy(linkOk and not linkDone, "linkup waits while the link is down")
    check.eq(socket.state(netc), 0, "state 0: link off")
    sys.timerStart(os.execute, 300, "ip link set " .. LINK .. " up")
    msg = sys_wait(TASK, socket.LINK, 5000)
    check.eq(msg and msg[2], 0, "LINK 0 when it comes back")
    local back, backIp = sys.waitUntil("IP_READY", 3000)
    check.truthy(back or socket.adapter(socket.LWIP_GP), "IP_READY again")

    local reconnected = false
    for _ = 1, 50 do
        if libnet.connect(TASK, 2000, netc, PEER, PORT) then
            reconnected = true
            break
        end
        socket.close(netc)
        sys.wait(100)
    end
    check.eq(reconnected, true, "reconnects after the link is back")
    check.eq(echoOnce(netc, "after"), "after", "echo after the link is back")
    libnet.close(TASK, 2000, netc)
    socket.release(netc)
    check.done(19)
end, TASK)
sys.run()
