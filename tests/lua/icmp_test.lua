-- luatnet options: --virtual-time
-- icmp under the air8000 profile (icmp_test.adapters.json: small fixed link delays): setup and ping
-- returns, PING_RESULT's arguments, round trips matching the link (both ways), no answer when the gateway
-- is unreachable, the request or reply is lost, the link is down or cut in flight; a newer ping supersedes
-- the pending one; a real echo to 127.0.0.1 where the kernel allows ICMP datagram sockets; bad input.
local check = require "check"
local peers = require "peers"

local results = {}
sys.subscribe("PING_RESULT", function(id, ms, ip, ttl) results[#results + 1] = { id = id, ms = ms, ip = ip, ttl = ttl } end)

-- pings and waits up to `ms` for the answer; returns ping's return and the result (nil: none came)
local function pingOnce(adapter, address, ms)
    results = {}
    local sent = icmp.ping(adapter, address)
    local _, id, time, ip, ttl = sys.waitUntil("PING_RESULT", ms or 1000)
    if id == nil then return sent, nil end
    return sent, { id = id, ms = time, ip = ip, ttl = ttl }
end

-- waits until the adapter is up (IP_READY may have come already)
local function waitReady(adapter, ms)
    local deadline = mcu.ticks() + ms
    while not socket.adapter(adapter) and mcu.ticks() < deadline do sys.wait(10) end
    return socket.adapter(adapter)
end

-- bad input, before any adapter is up ------------------------------------------------------------------------
check.eq(icmp.setup(socket.LWIP_GP), true, "setup on 4G (its driver exists from the start)")
check.eq(icmp.setup(socket.LWIP_ETH), false, "setup on Ethernet before netdrv.setup: no interface")
check.eq(icmp.setup(99), false, "setup on an unknown adapter")
check.eq(icmp.setup(-1), false, "setup on a negative id")
check.raises("number expected", "setup without an id", icmp.setup)
check.raises("number expected", "setup with a string id", icmp.setup, "eth")
check.eq(icmp.ping(socket.LWIP_ETH, "192.168.4.1"), nil, "ping from Ethernet before netdrv.setup: nothing")
check.eq(icmp.ping(99, nil), nil, "ping from an unknown adapter: nothing (the address is not looked at)")
check.raises("string expected", "ping without an address", icmp.ping, socket.LWIP_GP)
check.raises("string expected", "ping with a table address", icmp.ping, socket.LWIP_GP, {})
check.eq(icmp.ping(socket.LWIP_GP, "gateway"), nil, "ping of a name (not an address): nothing")
check.eq(icmp.ping(socket.LWIP_GP, "1.2.3.400"), nil, "ping of a malformed address: nothing")
check.eq(icmp.ping(socket.LWIP_GP, "::zz"), nil, "ping of a malformed IPv6 address: nothing")
check.eq(icmp.ping(socket.LWIP_GP, "192.168.1.1", -1), nil, "a negative size: nothing")
check.eq(icmp.ping(socket.LWIP_GP, "192.168.1.1", 70000), nil, "a size over one datagram: nothing")
check.raises("number expected", "a size that is not a number", icmp.ping, socket.LWIP_GP, "192.168.1.1", "big")
check.eq(icmp.debug(true), true, "debug on")
check.eq(icmp.debug(), false, "debug off")

sys.taskInit(function()
    -- 4G: cat1 with 40 ms each way -------------------------------------------------------------------------
    check.eq(icmp.ping(socket.LWIP_GP, "192.168.1.1"), 1, "ping while 4G registers: under way")
    check.eq(sys.waitUntil("PING_RESULT", 300), false, "no answer before the link is up")
    check.truthy(waitReady(socket.LWIP_GP, 3000), "4G comes up")
    local _, _, gw = socket.localIP(socket.LWIP_GP)
    check.eq(gw, "192.168.1.1", "socket.localIP reports 4G's simulated gateway")
    check.eq(select(3, netdrv.ipv4(socket.LWIP_GP)), "192.168.1.1", "so does netdrv.ipv4")
    local sent, result = pingOnce(socket.LWIP_GP, gw)
    check.eq(sent, 1, "ping returns 1")
    check.eq(result and result.id, socket.LWIP_GP, "PING_RESULT's adapter")
    check.eq(result and result.ip, "192.168.1.1", "PING_RESULT's address")
    check.eq(result and result.ttl, 64, "PING_RESULT's TTL")
    check.truthy(result and result.ms >= 80 and result.ms < 150, "round trip 2 x 40 ms: " .. tostring(result and result.ms))
    check.eq(#results, 1, "one result per ping")
    -- a newer ping supersedes the one in flight: one answer only
    results = {}
    icmp.ping(socket.LWIP_GP, gw)
    sys.wait(20)
    icmp.ping(socket.LWIP_GP, gw)
    sys.wait(300)
    check.eq(#results, 1, "two pings in a row: the second supersedes the first")
    -- lwIP's address parser reads short forms; the result shows the address in full
    sent, result = pingOnce(socket.LWIP_GP, "192.168.257")
    check.eq(result and result.ip, "192.168.1.1", "a short form of the gateway's address")
    -- flight mode: no answer while the link is cut, even for a request already in flight
    icmp.ping(socket.LWIP_GP, gw)
    mobile.flymode(0, true)
    check.eq(sys.waitUntil("PING_RESULT", 300), false, "flight mode during the round trip: no answer")
    sent, result = pingOnce(socket.LWIP_GP, gw, 300)
    check.eq(sent, 1, "ping in flight mode still returns 1 (the request is queued)")
    check.eq(result, nil, "no answer in flight mode")
    mobile.flymode(0, false)
    check.truthy(waitReady(socket.LWIP_GP, 2000), "4G back")

    -- Ethernet: 5 ms each way; loss and a cut link ----------------------------------------------------------
    check.eq(netdrv.setup(socket.LWIP_ETH, netdrv.CH390, { spi = 1, cs = 12 }), true, "Ethernet set up")
    check.eq(icmp.setup(socket.LWIP_ETH), true, "setup on Ethernet once it has a driver")
    check.truthy(waitReady(socket.LWIP_ETH, 2000), "Ethernet comes up")
    _, _, gw = socket.localIP(socket.LWIP_ETH)
    check.eq(gw, "192.168.4.1", "Ethernet's own simulated gateway")
    sent, result = pingOnce(socket.LWIP_ETH, gw)
    check.eq(result and result.id, socket.LWIP_ETH, "answer on Ethernet")
    check.truthy(result and result.ms >= 10 and result.ms < 60, "round trip 2 x 5 ms: " .. tostring(result and result.ms))
    sent, result = pingOnce(socket.LWIP_ETH, "192.168.1.1", 300)
    check.eq(result, nil, "4G's gateway is not on Ethernet: no answer")
    netsim.set(socket.LWIP_ETH, { loss = 1 })
    sent, result = pingOnce(socket.LWIP_ETH, gw, 300)
    check.eq(result, nil, "every packet lost: no answer")
    netsim.set(socket.LWIP_ETH, { loss = 0 })
    netdrv.ctrl(socket.LWIP_ETH, netdrv.CTRL_UPDOWN, 0)
    sent, result = pingOnce(socket.LWIP_ETH, gw, 300)
    check.eq(sent, 1, "ping with the link down returns 1")
    check.eq(result, nil, "no answer with the link down")
    netdrv.ctrl(socket.LWIP_ETH, netdrv.CTRL_UPDOWN, 1)
    check.truthy(waitReady(socket.LWIP_ETH, 2000), "Ethernet back")
    sent, result = pingOnce(socket.LWIP_ETH, gw)
    check.truthy(result ~= nil, "answers again once the link is back")

    -- Wi-Fi: its gateway starts unreachable (the file), netsim makes it reachable ------------------------------
    wlan.connect("office", "secret123")
    check.truthy(waitReady(socket.LWIP_STA, 2000), "Wi-Fi comes up")
    _, _, gw = socket.localIP(socket.LWIP_STA)
    check.eq(gw, "192.168.2.1", "Wi-Fi's simulated gateway")
    check.eq(wlan.getInfo().gw, "192.168.2.1", "wlan.getInfo reports it")
    check.eq(netsim.get(socket.LWIP_STA).gateway_reachable, false, "unreachable as the file says")
    sent, result = pingOnce(socket.LWIP_STA, gw, 400)
    check.eq(sent, 1, "ping of an unreachable gateway returns 1")
    check.eq(result, nil, "and no answer comes")
    check.eq(netsim.set(socket.LWIP_STA, { gateway_reachable = true }), true, "netsim makes it reachable")
    sent, result = pingOnce(socket.LWIP_STA, gw)
    check.truthy(result and result.ms >= 40 and result.ms < 100, "round trip 2 x (20 + 0..10) ms: " .. tostring(result and result.ms))
    check.raises("boolean expected", "netsim.set gateway_reachable not a boolean", netsim.set, socket.LWIP_STA, { gateway_reachable = 1 })

    -- a real echo to loopback over 4G's simulated link ----------------------------------------------------------
    if peers.pingSocketsAllowed() then
        sent, result = pingOnce(socket.LWIP_GP, "127.0.0.1", 2000)
        check.eq(sent, 1, "real ping returns 1")
        check.eq(result and result.ip, "127.0.0.1", "the loopback's answer")
        check.eq(result and result.ttl, 64, "with the kernel's TTL")
        check.truthy(result and result.ms >= 80, "the link's round trip is added: " .. tostring(result and result.ms))
    else
        log.info("icmp_test", "this host refuses ICMP datagram sockets (ping_group_range)")
        check.eq(icmp.ping(socket.LWIP_GP, "127.0.0.1"), nil, "real ping refused by the kernel: nothing")
        check.eq(sys.waitUntil("PING_RESULT", 300), false, "and no answer")
    end
    check.done(peers.pingSocketsAllowed() and 60 or 58)
end)
sys.run()
