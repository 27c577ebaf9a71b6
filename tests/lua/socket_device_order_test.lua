-- The device's order and returns where real projects depend on them (issue: real LuatOS projects run
-- unmodified): TX_OK before the reply's EVENT, the peer's data-then-close seen without reading, EVENT
-- again after a partial rx, empty and numeric tx, the UDP server idiom (connect to port 0, any sender),
-- short IPv4 forms, accept/listen returns, and argument errors that name their function.
local check = require "check"
local peers = require "peers"

-- Records every event of a callback-mode ctrl, in order, and wakes the test on each.
local function recorder()
    local events = {}
    local ctrl = socket.create(nil, function(_, event, param)
        events[#events + 1] = { event, param }
        sys.publish("REC_EVENT")
    end)
    return ctrl, events
end

local function waitEvents(events, count, ms)
    local deadline = mcu.ticks() + (ms or 3000)
    while #events < count and mcu.ticks() < deadline do sys.waitUntil("REC_EVENT", 100) end
    return #events >= count
end

local function describe(events, from)
    local names = { [socket.TX_OK] = "TX_OK", [socket.EVENT] = "EVENT", [socket.ON_LINE] = "ON_LINE",
                    [socket.CLOSED] = "CLOSED", [socket.LINK] = "LINK" }
    local parts = {}
    for i = from or 1, #events do parts[#parts + 1] = (names[events[i][1]] or "?") .. " " .. events[i][2] end
    return table.concat(parts, ", ")
end

sys.taskInit(function()
    -- 1. Against an echo peer: after every tx, TX_OK 0 comes before the reply's EVENT 0.
    local port, echo = peers.tcpEcho(30, 20)
    check.truthy(peers.awaitTcp(port), "echo peer up")
    sys.wait(100)
    local ctrl, events = recorder()
    socket.config(ctrl)
    socket.connect(ctrl, "127.0.0.1", port)
    check.eq(waitEvents(events, 1) and describe(events), "ON_LINE 0", "online")
    local inOrder = 0
    local buff = zbuff.create(64)
    for i = 1, 30 do
        local before = #events
        socket.tx(ctrl, "ping" .. i)
        waitEvents(events, before + 2)
        if events[before + 1] and events[before + 1][1] == socket.TX_OK and events[before + 2]
            and events[before + 2][1] == socket.EVENT then
            inOrder = inOrder + 1
        else
            log.warn("order", "round " .. i .. ": " .. describe(events, before + 1))
        end
        buff:del()
        socket.rx(ctrl, buff)
    end
    check.eq(inOrder, 30, "TX_OK before the reply's EVENT in every round")
    socket.close(ctrl)
    socket.release(ctrl)
    peers.kill(echo)

    -- 2. A peer that answers and closes: TX_OK 0, EVENT 0, then EVENT -1 without the script reading.
    port = peers.freePort()
    local closer = peers.spawn(string.format(
        "socat TCP-LISTEN:%d,reuseaddr,fork SYSTEM:'head -c 4 >/dev/null; printf bye'", port), 30)
    check.truthy(peers.awaitTcp(port), "closing peer up")
    sys.wait(100)
    ctrl, events = recorder()
    socket.config(ctrl)
    socket.connect(ctrl, "127.0.0.1", port)
    waitEvents(events, 1)
    socket.tx(ctrl, "ping")
    waitEvents(events, 4)
    check.eq(describe(events, 2), "TX_OK 0, EVENT 0, EVENT -1", "ack, data, then the close, unread")
    local ok, data = socket.read(ctrl)
    check.eq(data, "bye", "the data is still readable after the close")
    socket.close(ctrl)
    socket.release(ctrl)
    peers.kill(closer)

    -- 2b. A peer that sends 200 KB and closes, read as exftp reads its data channel (one rx into a 2 KiB
    -- zbuff per EVENT) by a script that is busy when they arrive: EVENT 0 and EVENT -1 are both queued
    -- before its first rx. Everything the peer sent before its close is still the script's.
    port = peers.freePort()
    local burst = peers.spawn(string.format(
        "socat TCP-LISTEN:%d,reuseaddr,fork SYSTEM:'head -c 200000 /dev/zero'", port), 30)
    check.truthy(peers.awaitTcp(port), "burst peer up")
    sys.wait(100)
    local received, ended = 0, false
    local burstDone = false
    sysplus.taskInitEx(function()
        local c = socket.create(nil, "burst_reader")
        socket.config(c)
        socket.connect(c, "127.0.0.1", port)
        sys_wait("burst_reader", socket.ON_LINE, 3000)
        sys.wait(500)  -- busy: the data and the close arrive meanwhile
        while not ended do
            local msg = sys_wait("burst_reader", socket.EVENT, 3000)
            if not msg then break end
            local chunk = zbuff.create(2048)
            local rxOk = socket.rx(c, chunk)
            received = received + chunk:used()
            if msg[2] ~= 0 or not rxOk then ended = true end
        end
        socket.close(c)
        socket.release(c)
        burstDone = true
    end, "burst_reader")
    while not burstDone do sys.wait(50) end
    check.eq(received, 200000, "every byte sent before the close is read")
    peers.kill(burst)

    -- 3. Two ctrls of this process: partial rx, then new data gives EVENT again; tx of "" and of 123.
    port = peers.freePort()
    local served
    local server = socket.create(nil, function(srv, event, param)
        if event == socket.ON_LINE and param == 0 then
            local accepted, client = socket.accept(srv, function() end)
            if accepted then served = client; sys.publish("SERVED") end
        end
    end)
    socket.config(server, port)
    socket.listen(server, 1)
    ctrl, events = recorder()
    socket.config(ctrl)
    socket.connect(ctrl, "127.0.0.1", port)
    check.truthy(sys.waitUntil("SERVED", 3000), "accepted")
    waitEvents(events, 1)
    socket.tx(served, "abcdef")
    waitEvents(events, 2)
    local small = zbuff.create(16)
    ok, data = socket.rx(ctrl, small, 0, 2)
    check.eq(data, 2, "a limited rx takes 2 bytes")
    local seen = #events
    socket.tx(served, "gh")
    waitEvents(events, seen + 1)
    check.eq(events[seen + 1] and events[seen + 1][1], socket.EVENT, "new data after a partial rx: EVENT again")
    small:del()
    socket.rx(ctrl, small)
    check.eq(small:toStr(0, small:used()), "cdefgh", "the rest and the new data, in order")

    seen = #events
    local okEmpty, full, done = socket.tx(ctrl, "")
    check.truthy(okEmpty and not full and not done, "tx of nothing: true, false, false")
    socket.tx(ctrl, 123)
    waitEvents(events, seen + 1)
    check.eq(describe(events, seen + 1), "TX_OK 0", "one TX_OK, for the number's bytes only")
    local _, got = socket.read(served)
    check.eq(got, "123", "a number is sent as its text")
    for _, c in ipairs({ ctrl, served, server }) do socket.close(c); socket.release(c) end

    -- 4. accept before any client; data sent before accept; a float count keeps single-client mode.
    port = peers.freePort()
    server = socket.create(nil, function() end)
    socket.config(server, port)
    socket.listen(server)
    sys.wait(50)
    local accOk, nothing, ip, clientPort = socket.accept(server)
    check.truthy(accOk == true and nothing == nil and ip == "0.0.0.0" and clientPort == 0,
        "accept before any client: true, nil, \"0.0.0.0\", 0")
    socket.close(server); socket.release(server)

    port = peers.freePort()
    server = socket.create(nil, function(srv, event, param)
        if event == socket.ON_LINE and param == 0 then sys.publish("PENDING") end
    end)
    socket.config(server, port)
    socket.listen(server, 2)
    local talker = peers.spawn(string.format("printf early | socat -t 5 - TCP:127.0.0.1:%d", port), 10)
    check.truthy(sys.waitUntil("PENDING", 3000), "a client waits")
    sys.wait(200)  -- its bytes are there before accept
    local taken, client = socket.accept(server, function() end)
    check.truthy(taken and client, "accepted")
    local waitOk, waitDone = socket.wait(client)
    check.truthy(waitOk and waitDone, "wait on a ctrl with data already there: true, true")
    peers.kill(talker)
    socket.close(client); socket.release(client)
    socket.close(server); socket.release(server)

    port = peers.freePort()
    server = socket.create(nil, function() end)
    socket.config(server, port)
    socket.listen(server, 8.0)
    local single = peers.spawn(string.format("sleep 0.2; socat -t 2 - TCP:127.0.0.1:%d </dev/null", port), 10)
    sys.wait(800)
    check.eq(socket.state(server), 5, "listen(ctrl, 8.0): the listener itself became the connection")
    peers.kill(single)
    socket.close(server); socket.release(server)

    -- 5. listen on a port in use: true, false, then ON_LINE -1.
    local blocker = peers.spawn(string.format("socat TCP-LISTEN:%d,reuseaddr,fork -", port), 20)
    peers.awaitTcp(port)
    server, events = recorder()
    socket.config(server, port)
    local lok, ldone = socket.listen(server)
    check.truthy(lok == true and ldone == false, "listen on a port in use: true, false")
    waitEvents(events, 1)
    check.eq(describe(events), "ON_LINE -1", "then ON_LINE -1")
    peers.kill(blocker)
    socket.release(server)

    -- 6. The UDP server idiom: connect to 255.255.255.255 port 0, then any sender is heard.
    port = peers.freePort()
    local udp
    udp, events = recorder()
    socket.config(udp, port, true)
    local cok = socket.connect(udp, "255.255.255.255", 0)
    check.eq(cok, true, "UDP connect to port 0 does not raise and succeeds")
    waitEvents(events, 1)
    check.eq(describe(events), "ON_LINE 0", "the UDP ctrl is online")
    local sender = peers.run(string.format(
        "echo hello | socat -t 1 - UDP-DATAGRAM:127.0.0.1:%d,bind=127.0.0.1:%d", port, port + 1), 10)
    waitEvents(events, 2)
    local udpBuff = zbuff.create(64)
    local rok, n, fromIp, fromPort = socket.rx(udp, udpBuff)
    check.eq(udpBuff:toStr(0, udpBuff:used()), "hello\n", "a datagram from any sender")
    check.eq(fromPort, port + 1, "with its sender's port")
    peers.await(sender, 3000)
    local reply = peers.run(string.format("socat -T 2 -u UDP-RECV:%d -", port + 2), 10)
    peers.awaitUdp(port + 2)
    socket.tx(udp, "back", "127.1", port + 2)
    check.eq(peers.await(reply, 3000, "back"), "back", "tx to a short IPv4 form reaches its address")
    socket.close(udp); socket.release(udp)

    -- 7. "127.1" is an address, not a name: no DNS wait.
    ctrl = socket.create(nil, function() end)
    socket.config(ctrl)
    socket.connect(ctrl, "127.1", peers.freePort())
    check.eq(socket.state(ctrl), 3, "connecting at once, without a DNS state")
    socket.close(ctrl); socket.release(ctrl)

    -- 8. Defaults and error texts.
    check.eq(socket.rx_cache(), 32, "rx_cache defaults to 32")
    ctrl = socket.create(nil, function() end)
    check.raises("socket.connect", "a bad argument names its function", socket.connect, ctrl, {}, 1)
    check.raises("'connect'", "also when called by name", function() socket.connect(ctrl, "h", "x") end)
    socket.release(ctrl)
    check.done(30)
end)
sys.run()
