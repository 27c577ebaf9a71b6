-- DNS per adapter and IPv6: a DNS server written here on luatnet answers for *.luatnet.test; setDNS points
-- the adapter at it; names with several addresses are tried in turn; AAAA with connect(..., true); "::1".
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"
local dnsPeer = require "dns_peer"

local DNS = peers.freePort()
local ECHO = peers.freePort()
local queries = {}

local ANSWERS = {
    ["one.luatnet.test"] = { A = { "127.0.0.1" } },
    -- nothing listens on 127.0.0.9: the first address is refused and the second is tried
    ["multi.luatnet.test"] = { A = { "127.0.0.9", "127.0.0.1" } },
    ["v6.luatnet.test"] = { AAAA = { "::1" } },
}

local dns = dnsPeer.start(DNS, ANSWERS, queries)

-- an echo server for the connections
local echo = socket.create(nil, function(ctrl, event, param)
    if event == socket.ON_LINE then
        local ok, client, ip = socket.accept(ctrl, function(c, e, p)
            if e == socket.EVENT and p == 0 then
                local _, data = socket.read(c)
                socket.tx(c, data)
            elseif e == socket.EVENT then
                socket.close(c)
            end
        end)
        sys.publish("ACCEPTED", ip, client)
    end
end)
socket.config(echo, ECHO)
socket.listen(echo, 4)

local function roundTrip(task, netc, host, ipv6)
    if not libnet.connect(task, 5000, netc, host, ECHO, ipv6) then return false end
    libnet.tx(task, 2000, netc, "hi " .. host)
    libnet.wait(task, 2000, netc)
    local _, data = socket.read(netc)
    libnet.close(task, 2000, netc)
    return data == "hi " .. host
end

sysplus.taskInitEx(function()
    sys.wait(100)
    check.eq(socket.setDNS(socket.ETH0, 1, "127.0.0.1:" .. DNS), true, "setDNS points ETH0 at the test server")
    local c = socket.create(nil, "dns_client")
    socket.config(c)
    check.eq(roundTrip("dns_client", c, "one.luatnet.test"), true, "a name from the adapter's DNS server")
    check.eq(socket.remoteIP(c), nil, "resolved addresses are cleared by close, as on the device")

    check.eq(roundTrip("dns_client", c, "multi.luatnet.test"), true,
        "the second address is tried after the first is refused")

    check.eq(select(1, socket.connect(c, "multi.luatnet.test", ECHO)), true, "connect again by name")
    local msg = sys_wait("dns_client", socket.ON_LINE, 5000)
    check.eq(msg and msg[2], 0, "online through the second address")
    local ip1, ip2, ip3 = socket.remoteIP(c)
    check.eq(ip1, "127.0.0.9", "remoteIP first address")
    check.eq(ip2, "127.0.0.1", "remoteIP second address")
    check.eq(ip3, nil, "no third address")
    libnet.close("dns_client", 2000, c)

    check.eq(select(1, socket.connect(c, "missing.luatnet.test", ECHO)), true, "connect to an unknown name")
    msg = sys_wait("dns_client", socket.ON_LINE, 5000)
    check.eq(msg and msg[2], -1, "NXDOMAIN is ON_LINE -1")
    socket.close(c)

    -- IPv6: AAAA lookups with the fourth argument, and literals
    check.eq(roundTrip("dns_client", c, "v6.luatnet.test", true), true, "ipv6_dns=true connects over AAAA")
    local _, peerIp = sys.waitUntil("ACCEPTED", 100)
    check.eq(roundTrip("dns_client", c, "::1"), true, "an IPv6 literal")
    check.eq(roundTrip("dns_client", c, 0x0100007F), true, "an integer IPv4 address in the firmware's form")
    local askedAAAA = false
    for _, q in ipairs(queries) do
        if q == "v6.luatnet.test/28" then askedAAAA = true end
    end
    check.truthy(askedAAAA, "the AAAA question reached our server")

    -- a DNS server that never answers: c-ares gives up after its tries (2 s each, twice)
    local SILENT = peers.freePort()
    local silent = socket.create(nil, function() end)
    socket.config(silent, SILENT, true)
    socket.connect(silent, "255.255.255.255", 0)
    check.eq(socket.setDNS(socket.ETH0, 1, "127.0.0.1:" .. SILENT), true, "setDNS to a silent server")
    local t0 = mcu.ticks()
    check.eq(select(1, socket.connect(c, "one.luatnet.test", ECHO)), true, "connect by name, nobody answers")
    msg = sys_wait("dns_client", socket.ON_LINE, 15000)
    check.eq(msg and msg[2], -1, "a lookup without answer is ON_LINE -1")
    local waited = mcu.ticks() - t0
    check.truthy(waited >= 3500 and waited < 12000, "after the resolver's tries (" .. waited .. " ms)")
    socket.close(c)
    socket.release(silent)

    socket.release(c)
    socket.close(dns)
    socket.close(echo)
    check.done(19)
end, "dns_client")
sys.run()
