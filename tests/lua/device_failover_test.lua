-- Failover across an Air8000's networks the way exnetif does it, with a long connection to a local TCP
-- peer: each adapter counts once its simulated gateway answers a ping (icmp, the gateway from
-- socket.localIP), the best of Ethernet > Wi-Fi > 4G becomes socket.dft and the sockets of the one before
-- are closed (socket.close_all); IP_LOSE takes an adapter out. The network changes: a scheduled Ethernet
-- cut and restore (device_failover_test.adapters.json), netdrv.ctrl, a Wi-Fi drop, flight mode, then
-- everything back. The peer records every line with its connection; the checks compare the order of
-- the adapters the lines came through, and the bytes, with what the client switched and sent.
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"
local host = require "luatnet.host"

local PORT = peers.freePort()
local RECORD = os.tmpname()
local SERVER = os.tmpname()
peers.writeFile(SERVER, [[
import socket, sys, threading
port, out = int(sys.argv[1]), open(sys.argv[2], "a", buffering=1)
lock = threading.Lock()
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(16)
def serve(conn, number):
    with lock:
        out.write("CONNECT %d\n" % number)
    pending = b""
    while True:
        data = conn.recv(4096)
        if not data:
            break
        pending += data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            with lock:
                out.write("DATA %d %s\n" % (number, line.decode()))
    conn.close()
count = 0
while True:
    conn, _ = server.accept()
    count += 1
    threading.Thread(target=serve, args=(conn, count), daemon=True).start()
]])
local server = peers.spawn(string.format("/usr/bin/python3 %s %d %s", SERVER, PORT, RECORD), 40)

local ETH, STA, GP = socket.LWIP_ETH, socket.LWIP_STA, socket.LWIP_GP
local PRIORITY = { ETH, STA, GP }
local verified = {}  -- adapter -> its gateway answered since it last came up
local active
local switches = {}  -- adapter ids, 0 when none is left

local function applyPriority()
    for _, adapter in ipairs(PRIORITY) do
        if verified[adapter] then
            if active ~= adapter then
                switches[#switches + 1] = adapter
                log.info("failover", "default adapter", adapter)
                socket.dft(adapter)
                if active then socket.close_all(active) end
                active = adapter
            end
            return
        end
    end
    if active then
        active = nil
        switches[#switches + 1] = 0
    end
end

sys.subscribe("IP_READY", function(ip, adapter) verified[adapter] = nil end)
sys.subscribe("IP_LOSE", function(adapter)
    verified[adapter] = nil
    applyPriority()
end)
sys.subscribe("PING_RESULT", function(adapter, ms, ip)
    local _, _, gw = socket.localIP(adapter)
    if ip == gw then
        verified[adapter] = true
        applyPriority()
    end
end)

local finished = false
-- every adapter that is up and not yet trusted pings its gateway
sys.taskInit(function()
    while not finished do
        for _, adapter in ipairs(PRIORITY) do
            if socket.adapter(adapter) and not verified[adapter] then
                local _, _, gw = socket.localIP(adapter)
                icmp.setup(adapter)
                icmp.ping(adapter, gw)
            end
        end
        sys.wait(100)
    end
end)

-- the application: one long connection through the default adapter, a line every 50 ms, reconnecting.
-- After socket.close_all a pending TX_OK never comes (as on the device): the short tx timeout is the
-- application noticing. A switch can close a connection between the peer's accept and the script's ON_LINE, or between a
-- line's arrival and its TX_OK: the peer may see more than the script was told, never other lines.
local attempted, acked, attempts, connects = {}, {}, 0, 0
sysplus.taskInitEx(function()
    local seq = 0
    while not finished do
        if socket.adapter(socket.dft()) then
            local via = socket.dft()
            local c = socket.create(nil, "app")
            socket.config(c)
            attempts = attempts + 1
            if libnet.connect("app", 1000, c, "127.0.0.1", PORT) then
                connects = connects + 1
                while not finished do
                    seq = seq + 1
                    local line = seq .. " " .. via
                    attempted[seq] = line
                    if not libnet.tx("app", 300, c, line .. "\n") then break end
                    acked[#acked + 1] = line
                    if not libnet.wait("app", 50, c) then break end
                end
            end
            libnet.close("app", 300, c)
            socket.release(c)
        end
        sys.wait(30)
    end
end, "app")

sys.taskInit(function()
    check.truthy(peers.awaitTcp(PORT), "peer up")
    check.eq(netdrv.setup(ETH, netdrv.CH390, { spi = 1, cs = 12 }), true, "Ethernet set up")
    check.eq(wlan.connect("office", "secret123"), true, "Wi-Fi joining")
    sys.wait(1200)
    check.eq(active, ETH, "Ethernet first")
    -- 1500 ms: the adapters file cuts Ethernet, 2300 ms restores it
    sys.wait(700)
    check.eq(active, STA, "Wi-Fi while Ethernet is cut")
    sys.wait(700)
    check.eq(active, ETH, "Ethernet again once it is back and its gateway answers")
    sys.wait(700)  -- the application reconnects through it
    netdrv.ctrl(ETH, netdrv.CTRL_UPDOWN, 0)
    sys.wait(900)
    check.eq(active, STA, "Wi-Fi after netdrv.ctrl takes Ethernet down")
    wlan.disconnect()
    sys.wait(900)
    check.eq(active, GP, "4G after Wi-Fi drops")
    mobile.flymode(0, true)
    sys.wait(400)
    check.eq(active, nil, "nothing in flight mode")
    mobile.flymode(0, false)
    sys.wait(900)
    check.eq(active, GP, "4G after leaving flight mode")
    wlan.connect("office", "secret123")
    sys.wait(900)
    check.eq(active, STA, "Wi-Fi when it joins again")
    netdrv.ctrl(ETH, netdrv.CTRL_UPDOWN, 1)
    sys.wait(900)
    check.eq(active, ETH, "Ethernet when it is back")
    finished = true
    sys.wait(300)
    peers.kill(server)

    local expected = { ETH, STA, ETH, STA, GP, 0, GP, STA, ETH }
    check.eq(table.concat(switches, ","), table.concat(expected, ","), "the order of the switches")

    -- the peer's side: lines in order, each connection on one adapter, adapters in the switches' order
    local record = peers.readFile(RECORD)
    local order, lines, bytes, peerConnects, lastSeq, ordered, foreign = {}, 0, 0, 0, 0, true, 0
    local connectionVia, mixed = {}, false
    for kind, rest in record:gmatch("(%u+) ([^\n]+)") do
        if kind == "CONNECT" then
            peerConnects = peerConnects + 1
        else
            local conn, line = rest:match("^(%d+) (.*)$")
            local seq, via = line:match("^(%d+) (%d+)$")
            seq, via = tonumber(seq), tonumber(via)
            lines = lines + 1
            bytes = bytes + #line + 1
            if attempted[seq] ~= line then foreign = foreign + 1 end
            if seq <= lastSeq then ordered = false end
            lastSeq = seq
            if connectionVia[conn] and connectionVia[conn] ~= via then mixed = true end
            connectionVia[conn] = via
            if order[#order] ~= via then order[#order + 1] = via end
        end
    end
    local ackedBytes = 0
    for _, line in ipairs(acked) do ackedBytes = ackedBytes + #line + 1 end
    log.info("failover", "peer got", lines, "lines,", bytes, "bytes over", peerConnects, "connections; the script had",
        #acked, "lines,", ackedBytes, "bytes acknowledged over", connects, "connections (" .. attempts .. " tried);",
        "adapters", table.concat(order, ","))
    check.eq(table.concat(order, ","), table.concat({ ETH, STA, ETH, STA, GP, STA, ETH }, ","),
        "the peer got lines through the adapters in the switches' order")
    check.eq(foreign, 0, "every line the peer got is one the script sent")
    check.truthy(ordered, "each line once, in order")
    check.eq(mixed, false, "each connection stays on its adapter")
    peerConnects = peerConnects - 1  -- peers.awaitTcp's probe
    check.truthy(peerConnects >= connects and peerConnects <= attempts,
        "the peer saw the script's connections: " .. peerConnects .. " of " .. connects .. ".." .. attempts)
    check.truthy(connects >= 7, "a new connection after each switch: " .. connects)
    -- an acknowledged line may be lost only with a connection that a cut took down
    check.truthy(lines >= #acked - 5, "lines at the peer " .. lines .. " of " .. #acked .. " acknowledged")
    check.truthy(lines >= 60, "data flowed in every phase: " .. lines .. " lines")
    host.remove(RECORD)
    host.remove(SERVER)
    check.done(21)
end)
sys.run()
