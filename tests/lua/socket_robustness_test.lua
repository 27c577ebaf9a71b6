-- Resources and large transfers: 1,000 create/connect/close cycles leave no descriptor or memory behind,
-- a ctrl collected while connected closes its socket, and a 10 MB tx arrives whole with full/TX_OK pacing.
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"

local PORT = peers.freePort()
local serverSide = { accepted = 0, closedByPeer = 0, bytes = 0 }
local live = {} -- accepted ctrls are kept here: an unreferenced ctrl is collected, and closed, by the GC

local function onClient(client, event, param)
    if event == socket.EVENT and param == 0 then
        local buff = zbuff.create(65536)
        while true do
            buff:seek(0)
            local ok, n = socket.rx(client, buff)
            if not ok or n == 0 then break end
            serverSide.bytes = serverSide.bytes + n
        end
        socket.wait(client)
    elseif event == socket.EVENT then
        serverSide.closedByPeer = serverSide.closedByPeer + 1
        live[client] = nil
        socket.close(client)
        socket.release(client)
    end
end

local server = socket.create(nil, function(ctrl, event, param)
    if event == socket.ON_LINE then
        local ok, client = socket.accept(ctrl, onClient)
        if ok then
            serverSide.accepted = serverSide.accepted + 1
            live[client] = true
            socket.wait(client)
        end
    end
end)
socket.config(server, PORT)
socket.listen(server, 8)

sysplus.taskInitEx(function()
    sys.wait(100)
    collectgarbage()
    collectgarbage()
    local fdBefore = peers.fdCount()
    local memBefore = collectgarbage("count")
    local cycles, online = 1000, 0
    for i = 1, cycles do
        local c = socket.create(nil, "cycler")
        socket.config(c)
        if libnet.connect("cycler", 2000, c, "127.0.0.1", PORT) then online = online + 1 end
        socket.close(c)
        socket.release(c)
        if i % 100 == 0 then collectgarbage() end
    end
    check.eq(online, cycles, "every cycle connected")
    for _ = 1, 100 do
        if serverSide.closedByPeer >= cycles then break end
        sys.wait(20)
    end
    check.eq(serverSide.closedByPeer, cycles, "the server saw every client close")
    sysplus.cleanMsg("cycler")
    collectgarbage()
    collectgarbage()
    local fdAfter = peers.fdCount()
    local memAfter = collectgarbage("count")
    log.info("cycles", "fds", fdBefore, fdAfter, "lua KB", math.floor(memBefore), math.floor(memAfter))
    -- A leak would show once per cycle (hundreds); process-wide descriptors opened on first use (the
    -- listener's reserve descriptor, the resolver's) may appear once.
    check.truthy(fdAfter <= fdBefore + 2, "no descriptor left behind (" .. fdBefore .. " before, " .. fdAfter .. " after)")
    check.truthy(memAfter - memBefore < 256, "Lua memory did not grow (" .. math.floor(memAfter - memBefore) .. " KB)")

    -- a ctrl collected while connected closes its socket: the server sees the close
    local closedBefore = serverSide.closedByPeer
    do
        local c = socket.create(nil, "cycler")
        socket.config(c)
        check.eq(libnet.connect("cycler", 2000, c, "127.0.0.1", PORT), true, "connected before being dropped")
    end
    collectgarbage()
    collectgarbage()
    for _ = 1, 100 do
        if serverSide.closedByPeer > closedBefore then break end
        sys.wait(20)
    end
    check.eq(serverSide.closedByPeer, closedBefore + 1, "garbage collection closed the socket")

    -- 10 MB in one tx: taken whole, a second tx while it drains reports full, then TX_OK
    local big = string.rep("0123456789abcdef", 10 * 65536)
    local c = socket.create(nil, "cycler")
    socket.config(c)
    libnet.connect("cycler", 2000, c, "127.0.0.1", PORT)
    serverSide.bytes = 0
    local ok, full, done = socket.tx(c, big)
    check.truthy(ok and not full and not done, "10 MB accepted, TX_OK to follow")
    local ok2, full2, done2 = socket.tx(c, "more")
    check.truthy(ok2 and full2 and done2, "tx while 10 MB drain: full, nothing taken, no TX_OK for it")
    local msg = sys_wait("cycler", socket.TX_OK, 20000)
    check.eq(msg and msg[2], 0, "TX_OK once the peer has it all")
    for _ = 1, 200 do
        if serverSide.bytes >= #big then break end
        sys.wait(20)
    end
    check.eq(serverSide.bytes, #big, "every byte arrived")
    socket.close(c)
    socket.release(c)
    socket.close(server)
    socket.release(server)
    check.done(10)
end, "cycler")
sys.run()
