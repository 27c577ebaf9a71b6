-- The socket paths the firmware's dhcpsrv and dnsproxy libraries take, under the air8000 profile (run
-- unmodified they answer a DHCP client and relay DNS, see docs/drivers.md; broadcasts cannot be tested on a
-- shared host): a UDP server on a fixed port of LWIP_AP, "connected" to 255.255.255.255:0 so that it may
-- answer anyone, replying to each sender's address and port with socket.tx(sc, data, ip, port); and a relay
-- that forwards each request through a second socket bound on LWIP_GP to an upstream UDP echo and hands the
-- reply back to the client that asked. The client is a Python peer on loopback.
local check = require "check"
local peers = require "peers"

local SERVER, RELAY, UPLINK, UPSTREAM = peers.freePort(), peers.freePort(), peers.freePort(), peers.freePort()
local upstream = peers.spawn(string.format("socat -T 20 UDP4-RECVFROM:%d,reuseaddr,fork PIPE", UPSTREAM), 60)

local function server(adapter, port, onRequest)
    local rx = zbuff.create(1500)
    local sc
    sc = socket.create(adapter, function(_, event)
        if event ~= socket.EVENT then return end
        while true do
            rx:seek(0)
            local ok, len, ip, rport = socket.rx(sc, rx)
            if not ok or not len or len == 0 then break end
            onRequest(sc, rx:toStr(0, len), ip, rport)
        end
    end)
    socket.config(sc, port, true)
    check.eq(socket.connect(sc, "255.255.255.255", 0), true, "server on port " .. port .. " 'connected' to everyone")
    return sc
end

local function dotted(ip)
    return string.format("%d.%d.%d.%d", ip:byte(2), ip:byte(3), ip:byte(4), ip:byte(5))
end

sys.taskInit(function()
    check.eq(wlan.createAP("luatnet", "12345678"), true, "AP up")
    sys.waitUntil("IP_READY", 2000)
    while not socket.adapter(socket.LWIP_GP) do sys.wait(20) end

    -- the DHCP server's shape: answer each request to its sender
    server(socket.LWIP_AP, SERVER, function(sc, data, ip, port)
        check.eq(#ip, 5, "the sender's address as the firmware gives it (type byte + 4)")
        socket.tx(sc, "offer:" .. data, dotted(ip), port)
    end)

    -- the DNS proxy's shape: requests in on LWIP_AP, out and back on LWIP_GP, answers to whoever asked
    local pendingClient
    local relay
    local uplink = server(socket.LWIP_GP, UPLINK, function(_, data)
        if pendingClient then socket.tx(relay, "relayed:" .. data, pendingClient[1], pendingClient[2]) end
    end)
    relay = server(socket.LWIP_AP, RELAY, function(_, data, ip, port)
        pendingClient = { dotted(ip), port }
        socket.tx(uplink, data, "127.0.0.1", UPSTREAM)
    end)

    local job = peers.run(string.format([[/usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for port, text in ((%d, b"discover"), (%d, b"query")):
    for attempt in range(3):
        s.sendto(text, ("127.0.0.1", port))
        try:
            print("REPLY", s.recvfrom(100)[0].decode(), flush=True); break
        except socket.timeout:
            pass
print("CLIENT DONE", flush=True)
']], SERVER, RELAY), 20)
    local out = peers.await(job, 15000, "CLIENT DONE")
    check.truthy(out:find("REPLY offer:discover", 1, true), "the server answered the sender: " .. out)
    check.truthy(out:find("REPLY relayed:query", 1, true), "the relay went out on 4G and came back: " .. out)
    peers.kill(upstream)
    check.done(7)
end)
