-- TCP client behaviour against real peers (socat): the event sequence in all three delivery modes, a
-- libnet-style client, refusal, remote close, unresolvable names and discon.
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"

local ECHO = peers.freePort()
local CLOSER = peers.freePort()
local echoPid = peers.spawn("socat TCP-LISTEN:" .. ECHO .. ",bind=127.0.0.1,reuseaddr,fork EXEC:cat", 60)
-- Answers with a greeting, then closes: the client sees data, then the remote close.
local closerPid = peers.spawn("socat TCP-LISTEN:" .. CLOSER .. ",bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo bye'", 60)

local function eventName(id)
    for _, name in ipairs({ "LINK", "ON_LINE", "TX_OK", "CLOSED", "EVENT" }) do
        if socket[name] == id then return name end
    end
    return tostring(id)
end

-- One round trip through the echo server; `nextEvent()` returns the next (event, param) for this ctrl.
local function roundTrip(mode, netc, nextEvent)
    local sequence = {}
    -- EVENT 0 may come more than once (the spec: never count EVENTs): TX_OK and the echo's EVENT arrive
    -- together, so one can be queued already when wait() finds the data unread. Waits for anything else
    -- pass over such repeats.
    local function expect(name, param)
        local event, value = nextEvent()
        while name ~= "EVENT" and eventName(event) == "EVENT" and value == 0 do event, value = nextEvent() end
        sequence[#sequence + 1] = eventName(event) .. "(" .. tostring(value) .. ")"
        return eventName(event) == name and value == param
    end
    check.eq(socket.config(netc), true, mode .. ": config")
    local ok, done = socket.connect(netc, "127.0.0.1", ECHO)
    check.truthy(ok and not done, mode .. ": connect is under way")
    check.truthy(expect("ON_LINE", 0), mode .. ": ON_LINE 0")
    check.eq(socket.state(netc), 5, mode .. ": online")
    local txOk, full, txDone = socket.tx(netc, "ping-" .. mode)
    check.truthy(txOk and not full and not txDone, mode .. ": tx accepted, TX_OK to follow")
    check.truthy(expect("TX_OK", 0), mode .. ": TX_OK 0")
    local waitOk, ready = socket.wait(netc)
    check.truthy(waitOk, mode .. ": wait")
    check.truthy(ready or expect("EVENT", 0), mode .. ": the echo is unread, or its EVENT 0 comes")
    local ok2, data = socket.read(netc)
    check.eq(data, "ping-" .. mode, mode .. ": echo data")
    check.eq(select(2, socket.rx(netc)), 0, mode .. ": nothing more pending")
    local dOk, dDone = socket.discon(netc)
    check.truthy(dOk and not dDone, mode .. ": discon under way")
    check.truthy(expect("CLOSED", 0), mode .. ": CLOSED 0")
    socket.close(netc)
    log.info("sequence", mode, table.concat(sequence, " "))
end

sys.taskInit(function()
    check.truthy(peers.awaitTcp(ECHO), "socat echo server is up")
    check.truthy(peers.awaitTcp(CLOSER), "socat closing server is up")

    -- 1. callback delivery: cb(ctrl, event, param) with the ctrl object itself
    local inbox = {}
    local cbCtrl
    cbCtrl = socket.create(nil, function(ctrl, event, param)
        check.eq(ctrl, cbCtrl, "the callback gets the ctrl object create returned")
        inbox[#inbox + 1] = { event, param }
        sys.publish("CB_EVENT")
    end)
    roundTrip("callback", cbCtrl, function()
        if #inbox == 0 then sys.waitUntil("CB_EVENT", 3000) end
        local e = table.remove(inbox, 1) or {}
        return e[1], e[2]
    end)
    socket.release(cbCtrl)

    -- 2. task-name delivery: sys_send(taskName, event, param)
    local done = false
    sysplus.taskInitEx(function()
        local netc = socket.create(nil, "tcp_task")
        roundTrip("task", netc, function()
            local msg = sys_wait("tcp_task", nil, 3000) or {}
            return msg[1], msg[2]
        end)
        socket.release(netc)
        done = true
    end, "tcp_task")
    while not done do sys.wait(20) end

    -- 3. neither: sys_pub("NWCTRL*", adapter, socket_id, event, param)
    local pubCtrl = socket.create(socket.ETH0)
    local published = {}
    local function onPub(adapter, id, event, param)
        check.eq(adapter, socket.ETH0, "sys_pub names the adapter")
        published[#published + 1] = { event, param }
        sys.publish("PUB_EVENT")
    end
    sys.subscribe("NWCTRL*", onPub)
    roundTrip("sys_pub", pubCtrl, function()
        if #published == 0 then sys.waitUntil("PUB_EVENT", 3000) end
        local e = table.remove(published, 1) or {}
        return e[1], e[2]
    end)
    sys.unsubscribe("NWCTRL*", onPub)
    socket.release(pubCtrl)

    -- libnet-style client: waitLink / connect / tx / wait / close over sys_wait
    local libnetDone = false
    sysplus.taskInitEx(function()
        local netc = socket.create(nil, "libnet_client")
        socket.config(netc, nil, nil, nil, 60, 10, 3) -- keepalive on
        check.eq(libnet.waitLink("libnet_client", 1000, netc), true, "libnet.waitLink on a ready adapter")
        check.eq(libnet.connect("libnet_client", 3000, netc, "localhost", ECHO), true, "libnet.connect by name")
        check.eq(socket.remoteIP(netc), "127.0.0.1", "remoteIP gives the resolved address")
        local payload = string.rep("0123456789", 1000)
        check.eq(libnet.tx("libnet_client", 3000, netc, payload), true, "libnet.tx")
        local got = {}
        local buff = zbuff.create(64)
        while #table.concat(got) < #payload do
            local ok, event = libnet.wait("libnet_client", 3000, netc)
            if not (ok and event) then break end
            while true do
                buff:del()
                local rxOk, n = socket.rx(netc, buff)
                if not rxOk or n == 0 then break end
                got[#got + 1] = buff:toStr(0, n)
            end
        end
        check.eq(table.concat(got), payload, "libnet round trip of 10 KB, zbuff grown as needed")
        libnet.close("libnet_client", 3000, netc)
        socket.release(netc)
        libnetDone = true
    end, "libnet_client")
    while not libnetDone do sys.wait(20) end

    -- remote close: data first, then EVENT -1 once it is read, and the ctrl can no longer wait
    sysplus.taskInitEx(function()
        local netc = socket.create(nil, "closer")
        socket.config(netc)
        check.eq(libnet.connect("closer", 3000, netc, "127.0.0.1", CLOSER), true, "connect to the closing peer")
        local ok, event = libnet.wait("closer", 3000, netc)
        check.truthy(ok and event, "greeting arrives")
        local _, data = socket.read(netc)
        check.eq(data, "bye\n", "greeting data")
        local msg
        repeat msg = sys_wait("closer", socket.EVENT, 3000) until not msg or msg[2] ~= 0  -- past repeated EVENT 0
        check.eq(msg and msg[2], -1, "remote close is EVENT -1")
        check.eq(select(1, socket.wait(netc)), false, "wait after a remote close fails")
        check.eq(select(1, socket.tx(netc, "x")), false, "tx after a remote close fails")
        socket.close(netc)
        socket.release(netc)

        -- the peer answers and closes while the connection is still being reported: the loop is busy (a
        -- script computing) from connect until all of it has arrived, so it hears of connection, data and
        -- close at once; the close must still follow the data
        netc = socket.create(nil, "closer")
        socket.config(netc)
        socket.connect(netc, "127.0.0.1", CLOSER)
        local busyUntil = mcu.ticks() + 300
        while mcu.ticks() < busyUntil do end
        msg = sys_wait("closer", socket.ON_LINE, 3000)
        check.eq(msg and msg[2], 0, "online, the peer already gone")
        socket.wait(netc)
        local _, early = socket.read(netc)
        if early == "" then
            sys_wait("closer", socket.EVENT, 3000)
            _, early = socket.read(netc)
        end
        check.eq(early, "bye\n", "the greeting that came with the connection")
        repeat msg = sys_wait("closer", socket.EVENT, 3000) until not msg or msg[2] ~= 0
        check.eq(msg and msg[2], -1, "then the close that came with it is EVENT -1")
        socket.close(netc)
        socket.release(netc)

        -- refused: nothing listens on the port
        local refused = socket.create(nil, "closer")
        socket.config(refused)
        check.eq(select(1, socket.connect(refused, "127.0.0.1", peers.freePort())), true, "connect starts")
        msg = sys_wait("closer", socket.ON_LINE, 3000)
        check.eq(msg and msg[2], -1, "refused connection is ON_LINE -1")
        check.eq(select(1, socket.connect(refused, "127.0.0.1", ECHO)), false,
            "connect again without close fails, as on the device")
        socket.close(refused)
        check.eq(libnet.connect("closer", 3000, refused, "127.0.0.1", ECHO), true, "after close it connects again")
        socket.close(refused)

        -- a name that cannot be resolved (DNS server that answers nothing)
        socket.setDNS(nil, 1, "127.0.0.1:" .. peers.freePort())
        local t0 = mcu.ticks()
        check.eq(select(1, socket.connect(refused, "no-such-host.invalid", ECHO)), true, "connect by name starts")
        check.eq(socket.state(refused), 2, "waiting for DNS")
        msg = sys_wait("closer", socket.ON_LINE, 15000)
        check.eq(msg and msg[2], -1, "unresolvable host is ON_LINE -1")
        log.info("dns failure after", mcu.ticks() - t0, "ms")
        socket.release(refused)
        peers.kill(echoPid)
        peers.kill(closerPid)
        check.done(67)
    end, "closer")
end)
sys.run()
