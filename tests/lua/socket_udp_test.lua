-- luatnet options: --virtual-time
-- UDP: a luatnet UDP server and clients, socat as a real UDP echo peer, datagram boundaries, peer
-- addresses (0x00 + 4 bytes), rx limits that drop the rest of a datagram, read().
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"

local SERVER = peers.freePort()
local ECHO = peers.freePort()
local echoPid = peers.spawn("socat UDP-RECVFROM:" .. ECHO .. ",bind=127.0.0.1,fork EXEC:cat", 60)

sysplus.taskInitEx(function()
    -- server: config(port, is_udp) + listen -> online, rx gives each datagram with its sender
    local server = socket.create(nil, "udp_server")
    check.eq(socket.config(server, SERVER, true), true, "UDP server config")
    check.eq(libnet.listen("udp_server", 2000, server), true, "UDP listen goes online")
    check.eq(socket.state(server), 5, "a UDP server is online once bound")
    sys.publish("SERVER_UP")
    local buff = zbuff.create(4)
    local received = {}
    while #received < 3 do
        local ok, event = libnet.wait("udp_server", 3000, server)
        if not (ok and event) then break end
        while true do
            local size = select(2, socket.rx(server))
            if size == 0 then break end
            buff:del()
            local rxOk, n, ip, port = socket.rx(server, buff)
            received[#received + 1] = { data = buff:toStr(0, n), size = size, ip = ip, port = port }
            socket.tx(server, "ack:" .. buff:toStr(0, n), ip:sub(2):byte(1) .. "." .. ip:sub(2):byte(2) .. "." ..
                ip:sub(2):byte(3) .. "." .. ip:sub(2):byte(4), port)
        end
    end
    check.eq(#received, 3, "three datagrams, one per rx")
    check.eq(received[1].data, "one", "first datagram")
    check.eq(received[1].size, 3, "rx without zbuff gives the next datagram's size")
    check.eq(received[2].data, "two-two", "second datagram, zbuff grown to fit")
    check.eq(received[1].ip, "\0\127\0\0\1", "peer address as 0x00 + 4 bytes")
    check.eq(math.type(received[1].port), "integer", "peer port")
    check.eq(received[3].data, "3", "third datagram")
    sys.publish("SERVER_DONE")
    sys.waitUntil("CLIENT_DONE", 5000)
    socket.close(server)
    socket.release(server)
end, "udp_server")

sysplus.taskInitEx(function()
    sys.waitUntil("SERVER_UP", 3000)
    local client = socket.create(nil, "udp_client")
    check.eq(socket.config(client, nil, true), true, "UDP client config")
    check.eq(libnet.connect("udp_client", 2000, client, "127.0.0.1", SERVER), true, "UDP connect is ON_LINE 0")
    for _, text in ipairs({ "one", "two-two", "3" }) do
        local ok, full = libnet.tx("udp_client", 2000, client, text)
        check.truthy(ok and not full, "datagram sent: " .. text)
    end
    local acks = {}
    while #acks < 3 do
        local ok, event = libnet.wait("udp_client", 3000, client)
        if not (ok and event) then break end
        while true do
            local rOk, data, ip, port = socket.read(client)
            if not rOk or #data == 0 then break end
            acks[#acks + 1] = data
            check.eq(port, SERVER, "read gives the sender's port")
        end
    end
    check.eq(table.concat(acks, ","), "ack:one,ack:two-two,ack:3", "server answered each datagram")
    socket.close(client)

    -- socat echo: limits truncate a datagram and drop its rest
    check.truthy(peers.awaitUdp(ECHO), "socat UDP echo is up")
    local echo = socket.create(nil, "udp_client")
    socket.config(echo, nil, true)
    check.eq(libnet.connect("udp_client", 2000, echo, "localhost", ECHO), true, "connect to socat by name")
    libnet.tx("udp_client", 2000, echo, "abcdefgh")
    libnet.tx("udp_client", 2000, echo, "ijkl")
    local buff = zbuff.create(16)
    local got = {}
    local deadline = mcu.ticks() + 3000
    while #got < 2 and mcu.ticks() < deadline do
        local ok, event = libnet.wait("udp_client", 500, echo)
        if not ok then break end
        while true do
            local rxOk, n = socket.rx(echo, buff, 0, 3)
            if not rxOk or n == 0 then break end
            got[#got + 1] = buff:toStr(buff:used() - n, n)
        end
    end
    -- socat's echo forks a process per datagram, so the two replies may come back in either order
    table.sort(got)
    check.eq(table.concat(got, ","), "abc,ijk", "rx limit keeps 3 bytes of each datagram, the rest is dropped")
    local zb = zbuff.create(8)
    zb:write("zbuff!")
    check.eq(select(1, socket.tx(echo, zb)), true, "tx from a zbuff sends its used bytes")
    libnet.wait("udp_client", 2000, echo)
    local _, echoed = socket.read(echo)
    check.eq(echoed, "zbuff!", "zbuff datagram echoed")
    socket.close(echo)
    socket.release(echo)
    socket.release(client)
    sys.publish("CLIENT_DONE")
    peers.kill(echoPid)
    sys.waitUntil("SERVER_DONE", 1000)
    check.done(24)
end, "udp_client")
sys.run()
