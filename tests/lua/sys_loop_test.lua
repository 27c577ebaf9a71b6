-- Shortcuts of the loop and of sys (issue 13) that must not reorder or lose anything: sys.run takes several
-- host messages per call into the host when they publish nothing, yet a publication made while one message
-- is delivered is still dispatched before the next message; a socket event handed straight to a waiting
-- task is a message table of its own; what the host shortcut drops nobody would have seen; the looks for
-- acknowledgements deferred to the end of a turn still give each send its TX_OK.
local check = require "check"
local peers = require "peers"

local ROUNDS = 10

-- 1. Two UDP sends in a row: their TX_OKs sit on the bus one behind the other. The first one's callback
-- publishes; its subscriber must run before the second TX_OK is delivered.
local udpLog = {}
sys.subscribe("AFTER_FIRST", function() udpLog[#udpLog + 1] = "published" end)

local function udpCtrl(name)
    return socket.create(nil, function(_, event, param)
        if event == socket.TX_OK then
            udpLog[#udpLog + 1] = name
            if name == "first" then sys.publish("AFTER_FIRST") end
        end
    end)
end

-- 2. TCP against an echo peer with a callback that publishes on TX_OK: the reply's EVENT (on the bus right
-- behind the TX_OK when the acknowledgement came with the reply) comes after the publication.
local tcpLog = {}
sys.subscribe("AFTER_TXOK", function() tcpLog[#tcpLog + 1] = "published" end)

sys.taskInit(function()
    local udpPort = peers.freePort()
    local udpPeer = peers.spawn("socat UDP-LISTEN:" .. udpPort .. ",bind=127.0.0.1,reuseaddr,fork PIPE", 30)
    check.truthy(peers.awaitUdp(udpPort), "udp echo peer up")
    local first, second = udpCtrl("first"), udpCtrl("second")
    for _, ctrl in ipairs({ first, second }) do
        socket.config(ctrl, nil, true)
        socket.connect(ctrl, "127.0.0.1", udpPort)
    end
    sys.wait(200)
    for _ = 1, ROUNDS do
        socket.tx(first, "a")
        socket.tx(second, "b")
        sys.wait(20)
    end
    local expected = {}
    for _ = 1, ROUNDS do
        table.move({ "first", "published", "second" }, 1, 3, #expected + 1, expected)
    end
    check.eq(table.concat(udpLog, " "), table.concat(expected, " "),
        "a publication made for one TX_OK is dispatched before the next TX_OK")
    for _, ctrl in ipairs({ first, second }) do
        socket.close(ctrl)
        socket.release(ctrl)
    end
    peers.kill(udpPeer)

    local port, tcpPeer = peers.tcpEcho(30)
    check.truthy(peers.awaitTcp(port), "tcp echo peer up")
    local buff = zbuff.create(64)
    local tcp = socket.create(nil, function(ctrl, event, param)
        if event == socket.TX_OK then
            tcpLog[#tcpLog + 1] = "txok"
            sys.publish("AFTER_TXOK")
        elseif event == socket.EVENT and param == 0 then
            buff:seek(0)
            local _, n = socket.rx(ctrl, buff)
            if n > 0 then tcpLog[#tcpLog + 1] = "event" end
            sys.publish("TCP_REPLY")
        elseif event == socket.ON_LINE then
            sys.publish("TCP_ONLINE", param)
        end
    end)
    socket.config(tcp)
    socket.connect(tcp, "127.0.0.1", port)
    check.eq(select(2, sys.waitUntil("TCP_ONLINE", 3000)), 0, "the callback's ctrl is online")
    for i = 1, ROUNDS do
        socket.tx(tcp, "ping" .. i)
        check.truthy(sys.waitUntil("TCP_REPLY", 3000), "reply " .. i)
    end
    local rounds = table.concat(tcpLog, " ")
    check.eq(select(2, rounds:gsub("txok published event", "")), ROUNDS,
        "every round: TX_OK, what it published, then the reply's EVENT (" .. rounds .. ")")
    socket.close(tcp)
    socket.release(tcp)
    peers.kill(tcpPeer)
    sys.publish("CALLBACKS_DONE")
end)

-- A ctrl of the running task `name`, connected to a new echo peer (two checks).
local function connectedTask(name)
    local port, peer = peers.tcpEcho(30)
    check.truthy(peers.awaitTcp(port), "echo peer up for task " .. name)
    local c = socket.create(nil, name)
    socket.config(c)
    socket.connect(c, "127.0.0.1", port)
    check.eq(sys_wait(name, socket.ON_LINE, 3000)[2], 0, "task " .. name .. ": ctrl online")
    return c, peer
end

-- 3. A task waiting alone for EVENT is handed each reply: every message is a table of its own.
sysplus.taskInitEx(function()
    sys.waitUntil("CALLBACKS_DONE", 20000)
    local c, peer = connectedTask("handed")
    local buff = zbuff.create(64)
    local messages = {}
    for i = 1, 3 do
        socket.tx(c, "hello" .. i)
        local ok, ready = socket.wait(c) -- no TX_OK wait: the reply's EVENT is awaited alone
        if ok and not ready then messages[#messages + 1] = sys_wait("handed", socket.EVENT, 3000) end
        buff:seek(0)
        socket.rx(c, buff)
    end
    check.truthy(#messages > 0, "the task waited for at least one EVENT")
    for i, message in ipairs(messages) do
        check.truthy(message[1] == socket.EVENT and message[2] == 0, "message " .. i .. " is {EVENT, 0}")
        check.truthy(message ~= messages[i + 1], "message " .. i .. " is a table of its own")
    end
    socket.close(c)
    socket.release(c)
    peers.kill(peer)
    sys.publish("HANDED_DONE", #messages)
end, "handed")

-- 4. Host events for a task that waits for something else go to its callback (only what nobody would see
-- is dropped on the way); libnet.wait woken through the mailbox by the task's own sys_send (the documented
-- idiom) answers from that message.
local libnet = require "libnet"
local callbackGot = {}
sysplus.taskInitEx(function()
    local _, handedCount = sys.waitUntil("HANDED_DONE", 20000)
    local c, peer = connectedTask("withcb")
    socket.tx(c, "x")
    check.eq(sys_wait("withcb", "NEVER", 500), nil, "no message matches the odd target")
    check.truthy(callbackGot[socket.TX_OK] and callbackGot[socket.EVENT], "the task's callback got TX_OK and EVENT")
    socket.rx(c, zbuff.create(64))
    sys.timerStart(sys_send, 50, "withcb", socket.EVENT, 0)
    local ok, ready = libnet.wait("withcb", 3000, c)
    check.truthy(ok == true and ready == true, "libnet.wait woken by sys_send(EVENT, 0): true, true")
    sys.timerStart(sys_send, 50, "withcb", socket.EVENT, -1)
    ok, ready = libnet.wait("withcb", 3000, c)
    check.truthy(ok == false and ready == false, "libnet.wait woken by sys_send(EVENT, -1): false, false")
    socket.close(c)
    socket.release(c)
    peers.kill(peer)
    sys.publish("WITHCB_DONE", handedCount)
end, "withcb", function(message) callbackGot[message[1]] = true end)

-- 5. Sends of several sockets in one turn have their acknowledgements looked for together once the turn is
-- over: each still gets exactly one TX_OK from a peer that never answers, and a socket closed in the same
-- turn gets none (nor does its look reach a freed socket).
sys.taskInit(function()
    local _, handedCount = sys.waitUntil("WITHCB_DONE", 30000)
    local port = peers.freePort()
    local sink = peers.spawn("socat TCP-LISTEN:" .. port .. ",bind=127.0.0.1,reuseaddr,fork SYSTEM:'cat >/dev/null'", 20)
    check.truthy(peers.awaitTcp(port), "sink peer up")
    local txOks, online, ctrls = { 0, 0, 0, 0 }, 0, {}
    local function onSinkEvent(ctrl, event, param)
        local i = ctrls[ctrl]
        if event == socket.TX_OK then
            txOks[i] = txOks[i] + 1
        elseif event == socket.ON_LINE and param == 0 then
            online = online + 1
            if online == #txOks then sys.publish("SINK_ONLINE") end
        end
    end
    for i = 1, #txOks do
        local ctrl = socket.create(nil, onSinkEvent)
        ctrls[i], ctrls[ctrl] = ctrl, i
        socket.config(ctrl)
        socket.connect(ctrl, "127.0.0.1", port)
    end
    check.truthy(sys.waitUntil("SINK_ONLINE", 3000), "four connections to the sink")
    for i = 1, 4 do socket.tx(ctrls[i], "data " .. i) end
    socket.close(ctrls[4])
    socket.release(ctrls[4])
    sys.wait(500)
    check.eq(table.concat(txOks, " "), "1 1 1 0",
        "one TX_OK per sending socket, none for the one closed in the same turn")
    for i = 1, 3 do
        socket.close(ctrls[i])
        socket.release(ctrls[i])
    end
    peers.kill(sink)
    sys.publish("SINK_DONE", handedCount)
end)

-- 6. A peer that answered every request, so that its acknowledgements came with its replies, and then
-- leaves one unanswered: the acknowledgement that comes on its own still brings TX_OK (the socket's
-- look for it starts later while replies carry them, and must still come).
sysplus.taskInitEx(function()
    local _, handedCount = sys.waitUntil("SINK_DONE", 40000)
    local port = peers.freePort()
    local server = socket.create(nil, function(ctrl, event, param)
        if event ~= socket.ON_LINE or param ~= 0 then return end
        local ok, client = socket.accept(ctrl, function(c, clientEvent, clientParam)
            if clientEvent ~= socket.EVENT or clientParam ~= 0 then return end
            local _, data = socket.read(c)
            if data ~= "" and data ~= "quiet" then socket.tx(c, data) end
            socket.wait(c)
        end)
        if ok then socket.wait(client) end
    end)
    socket.config(server, port)
    socket.listen(server, 2)
    local c = socket.create(nil, "lone")
    socket.config(c)
    socket.connect(c, "127.0.0.1", port)
    check.eq(sys_wait("lone", socket.ON_LINE, 3000)[2], 0, "connected to the in-process server")
    for i = 1, 5 do
        socket.tx(c, "ping" .. i)
        local first = sys_wait("lone", nil, 3000)
        check.eq(first and first[1], socket.TX_OK, "round " .. i .. ": TX_OK first")
        sys_wait("lone", socket.EVENT, 3000) -- the reply's EVENT, behind its TX_OK
        local _, reply = socket.read(c)
        check.eq(reply, "ping" .. i, "round " .. i .. ": the reply")
    end
    local t0 = mcu.ticks()
    socket.tx(c, "quiet")
    local txOk = sys_wait("lone", socket.TX_OK, 3000)
    check.eq(txOk and txOk[2], 0, "TX_OK for the send nobody answers")
    check.truthy(mcu.ticks() - t0 < 1000, "it came with the lone acknowledgement (" .. (mcu.ticks() - t0) .. " ms)")
    socket.close(c)
    socket.release(c)
    socket.close(server)
    socket.release(server)
    check.done(30 + ROUNDS + 2 * handedCount)
end, "lone")
