-- Readiness corner cases, both ends in this process on loopback (readiness is edge-triggered inside, so
-- each case is one where a missed edge would hang or an extra one would show): a limited rx leaves its
-- rest without a new EVENT, a zbuff whose room a message fills exactly still hears the next message, a
-- small zbuff grows to take a large one, data followed at once by the peer's close, and a burst of
-- clients larger than the accept queue.
local check = require "check"
local peers = require "peers"

local PORT = peers.freePort()
local BURST = 20

-- Server: listen(ctrl, 2); every accepted client is handed to the test task, or echoes in the burst.
local echoing = false
local acceptedCtrls = {}
local function onServed(client, event, param)
    if event == socket.EVENT and param == 0 then
        if echoing then
            local _, data = socket.read(client)
            if #data > 0 then socket.tx(client, data) end
        end
    elseif event == socket.EVENT or event == socket.CLOSED then
        socket.close(client)
        socket.release(client)
    end
end

local server = socket.create(nil, function(ctrl, event, param)
    if event ~= socket.ON_LINE or param ~= 0 then return end
    while true do
        local ok, client = socket.accept(ctrl, onServed)
        if not ok then break end
        if not echoing then
            acceptedCtrls[#acceptedCtrls + 1] = client
            sys.publish("ACCEPTED")
        end
    end
end)
socket.config(server, PORT)
check.eq(select(1, socket.listen(server, 2)), true, "listen with a queue of 2")

local function nextEvent(name, ms)
    local msg = sys_wait(name, socket.EVENT, ms)
    return msg and msg[2]
end

local function rxText(ctrl, buff, limit)
    buff:seek(0)
    local ok, n = socket.rx(ctrl, buff, 0, limit)
    return ok, n, buff:toStr(0, buff:used())
end

sysplus.taskInitEx(function()
    local cli = socket.create(nil, "cli")
    socket.config(cli)
    socket.connect(cli, "127.0.0.1", PORT)
    check.eq(sys_wait("cli", socket.ON_LINE, 3000)[2], 0, "client online")
    if #acceptedCtrls == 0 then sys.waitUntil("ACCEPTED", 3000) end
    local accepted = acceptedCtrls[1]
    check.truthy(accepted, "server accepted the client")

    -- a limited rx takes part; the rest raises no new EVENT but is there for the next rx
    socket.tx(accepted, "0123456789")
    check.eq(nextEvent("cli", 3000), 0, "data announced")
    local buff = zbuff.create(64)
    local ok, n, text = rxText(cli, buff, 4)
    check.eq(ok and n, 4, "rx with a limit of 4 takes 4")
    check.eq(text, "0123", "the first 4 bytes")
    check.eq(nextEvent("cli", 300), nil, "the rest raises no new EVENT")
    ok, n, text = rxText(cli, buff)
    check.eq(n, 6, "the next rx takes the rest")
    check.eq(text, "456789", "the rest, in order")
    socket.tx(accepted, "next")
    check.eq(nextEvent("cli", 3000), 0, "new data after the rest is announced")
    ok, n, text = rxText(cli, buff)
    check.eq(text, "next", "and read")

    -- a message that fills the zbuff's room exactly; the next one is still heard
    local exact = zbuff.create(16)
    socket.tx(accepted, string.rep("e", 16))
    check.eq(nextEvent("cli", 3000), 0, "16 bytes announced")
    ok, n = rxText(cli, exact)
    check.eq(n, 16, "16 bytes fill a 16-byte zbuff")
    socket.tx(accepted, "more")
    check.eq(nextEvent("cli", 3000), 0, "the next message is announced after an exact fill")
    ok, n, text = rxText(cli, exact)
    check.eq(text, "more", "and read")

    -- a small zbuff grows to take all that is waiting
    local small = zbuff.create(8)
    local big = string.rep("0123456789", 1000)
    socket.tx(accepted, big)
    local got = {}
    local total, largest = 0, 0
    while total < #big do
        if nextEvent("cli", 3000) ~= 0 then break end
        small:seek(0)
        ok, n = socket.rx(cli, small)
        got[#got + 1] = small:toStr(0, small:used())
        total = total + n
        largest = math.max(largest, n)
    end
    local joined = table.concat(got)
    check.eq(#joined, #big, "10,000 bytes through an 8-byte zbuff")
    check.truthy(joined == big, "in order")
    check.truthy(largest > 8 and small:len() >= largest, "the zbuff grew to the largest read instead of cutting it")

    -- data and the peer's close together: the data first, then EVENT -1
    socket.tx(accepted, "bye")
    socket.discon(accepted)
    check.eq(nextEvent("cli", 3000), 0, "last data announced")
    ok, n, text = rxText(cli, buff)
    check.eq(text, "bye", "last data read")
    check.eq(nextEvent("cli", 3000), -1, "then the peer's close")
    socket.close(cli)
    socket.release(cli)

    -- a burst of clients ten times the accept queue: every one is accepted and echoed
    echoing = true
    local replies = 0
    local clients = {}
    for i = 1, BURST do
        clients[i] = socket.create(nil, function(ctrl, event, param)
            if event == socket.ON_LINE and param == 0 then
                socket.tx(ctrl, "hi" .. i)
            elseif event == socket.EVENT and param == 0 then
                local _, data = socket.read(ctrl)
                if data == "hi" .. i then
                    replies = replies + 1
                    if replies == BURST then sys.publish("BURST_DONE") end
                end
            end
        end)
        socket.config(clients[i])
        socket.connect(clients[i], "127.0.0.1", PORT)
    end
    check.truthy(sys.waitUntil("BURST_DONE", 5000), "all clients of the burst answered")
    check.eq(replies, BURST, "one echo per client")
    for _, ctrl in ipairs(clients) do
        socket.close(ctrl)
        socket.release(ctrl)
    end
    socket.close(server)
    socket.release(server)
    check.done(19)
end, "cli")
sys.run()
