-- DNS per adapter and IPv6: a DNS server written here on luatnet answers for *.luatnet.test; setDNS points
-- the adapter at it; names with several addresses are tried in turn; AAAA with connect(..., true); "::1".
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"

local DNS = peers.freePort()
local ECHO = peers.freePort()
local queries = {}

local ANSWERS = {
    ["one.luatnet.test"] = { A = { "127.0.0.1" } },
    -- nothing listens on 127.0.0.9: the first address is refused and the second is tried
    ["multi.luatnet.test"] = { A = { "127.0.0.9", "127.0.0.1" } },
    ["v6.luatnet.test"] = { AAAA = { "::1" } },
}

local function readName(packet, at)
    local labels = {}
    while true do
        local length = packet:byte(at)
        if length == 0 then return table.concat(labels, "."), at + 1 end
        labels[#labels + 1] = packet:sub(at + 1, at + length)
        at = at + 1 + length
    end
end

local function ipBytes(text)
    if text:find(":", 1, true) then
        -- only "::1" is needed here
        return string.rep("\0", 15) .. "\1"
    end
    local a, b, c, d = text:match("(%d+)%.(%d+)%.(%d+)%.(%d+)")
    return string.char(tonumber(a), tonumber(b), tonumber(c), tonumber(d))
end

local function answer(query)
    local id = query:sub(1, 2)
    local name, after = readName(query, 13)
    local qtype = string.unpack(">I2", query, after)
    local question = query:sub(13, after + 3)
    queries[#queries + 1] = name .. "/" .. qtype
    local entry = ANSWERS[name]
    local kind = qtype == 28 and "AAAA" or "A"
    local records = entry and entry[kind] or {}
    local flags = entry and 0x8180 or 0x8183 -- NXDOMAIN for unknown names
    local out = { id, string.pack(">I2I2I2I2I2", flags, 1, #records, 0, 0), question }
    for _, ip in ipairs(records) do
        local rdata = ipBytes(ip)
        out[#out + 1] = string.pack(">I2I2I2I4I2", 0xC00C, qtype, 1, 60, #rdata) .. rdata
    end
    return table.concat(out)
end

-- the DNS server: a UDP server ctrl with a callback
local dns
dns = socket.create(nil, function(ctrl, event, param)
    if event ~= socket.EVENT or param ~= 0 then return end
    while true do
        local ok, query, ip, port = socket.read(ctrl)
        if not ok or #query == 0 then break end
        local from = string.format("%d.%d.%d.%d", ip:byte(2, 5))
        socket.tx(ctrl, answer(query), from, port)
    end
    socket.wait(ctrl)
end)
socket.config(dns, DNS, true)
socket.listen(dns)

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
    socket.release(c)
    socket.close(dns)
    socket.close(echo)
    check.done(15)
end, "dns_client")
sys.run()
