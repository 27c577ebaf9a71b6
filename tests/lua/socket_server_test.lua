-- Servers: single-client listen (the ctrl itself goes online), multi-client listen/accept with task names
-- and callbacks serving real clients (ncat, socat) and luatnet clients at once, and an adapter profile
-- without multi-client support.
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"

local SINGLE = peers.freePort()
local MULTI = peers.freePort()

-- single-client mode: listen(ctrl), ON_LINE when a client arrives, accept(ctrl) -> true, nil, ip, port
sysplus.taskInitEx(function()
    local server = socket.create(nil, "single")
    socket.config(server, SINGLE)
    local ok, done = socket.listen(server)
    check.truthy(ok and not done, "listen is under way")
    sys.publish("SINGLE_UP")
    local msg = sys_wait("single", socket.ON_LINE, 5000)
    check.eq(msg and msg[2], 0, "ON_LINE 0 when the client arrives")
    check.eq(socket.state(server), 5, "the listening ctrl itself is now online")
    local accepted, newCtrl, ip, port = socket.accept(server)
    check.eq(accepted, true, "accept(ctrl) succeeds")
    check.eq(newCtrl, nil, "and returns no new ctrl")
    check.eq(ip, "127.0.0.1", "client address")
    check.eq(math.type(port), "integer", "client port")
    local waitOk, event = libnet.wait("single", 3000, server)
    check.truthy(waitOk and event, "data from the ncat client")
    local _, data = socket.read(server)
    check.eq(data, "hello single\n", "data read on the server ctrl")
    check.eq(libnet.tx("single", 3000, server, "reply\n"), true, "reply sent")
    libnet.close("single", 3000, server)
    socket.release(server)
    sys.publish("SINGLE_DONE")
end, "single")

sys.taskInit(function()
    sys.waitUntil("SINGLE_UP", 3000)
    local job = peers.run("(printf 'hello single\\n'; sleep 2) | ncat 127.0.0.1 " .. SINGLE, 10)
    local out = peers.await(job, 10000, "reply")
    check.eq(out, "reply\n", "ncat client received the reply")
end)

-- multi-client mode: listen(ctrl, 4) stays listening; accept(ctrl, cb|task) gives one ctrl per client
local served = {}
local function serveByCallback(client, event, param)
    if event == socket.EVENT and param == 0 then
        local _, data = socket.read(client)
        if #data > 0 then socket.tx(client, "cb:" .. data) end
    elseif event == socket.EVENT or event == socket.CLOSED then
        socket.close(client)
        socket.release(client)
    end
end

sysplus.taskInitEx(function()
    sys.waitUntil("SINGLE_DONE", 10000)
    local server = socket.create(nil, "multi")
    socket.config(server, MULTI)
    local ok, done = socket.listen(server, 4)
    check.truthy(ok and not done, "multi-client listen is under way")
    for _ = 1, 100 do
        if socket.state(server) == 6 then break end
        sys.wait(10)
    end
    check.eq(socket.state(server), 6, "the server ctrl is listening")
    sys.publish("MULTI_UP")
    local accepted = 0
    while accepted < 4 do
        -- As LuatOS server scripts do: listen again (it stays listening) and wait for the next ON_LINE.
        if not libnet.listen("multi", 5000, server, 4) then break end
        check.eq(socket.state(server), 6, "the server ctrl stays listening")
        local useTask = accepted % 2 == 0
        local ok, client, ip, port
        if useTask then
            local name = "conn" .. accepted
            ok, client, ip, port = socket.accept(server, name)
            sysplus.taskInitEx(function()
                while true do
                    local wOk, ev = libnet.wait(name, 5000, client)
                    if not (wOk and ev) then break end
                    local _, data = socket.read(client)
                    if #data > 0 then libnet.tx(name, 3000, client, "task:" .. data) end
                end
                socket.close(client)
                socket.release(client)
            end, name)
        else
            ok, client, ip, port = socket.accept(server, serveByCallback)
        end
        check.truthy(ok and client ~= nil and client ~= server, "accept gives a new ctrl")
        check.eq(ip, "127.0.0.1", "accept gives the client address")
        check.eq(socket.state(client), 5, "the new ctrl is online")
        accepted = accepted + 1
        served[#served + 1] = port
    end
    check.eq(accepted, 4, "four clients accepted")
    check.eq(select(1, socket.accept(server, "none")), false, "accept with no client waiting is false")
    sys.waitUntil("CLIENTS_DONE", 10000)
    socket.close(server)
    socket.release(server)

    -- an adapter without multi-client support (the w5500 profile): listen(ctrl, N>0) is false, false
    local config = os.tmpname()
    local script = os.tmpname() .. ".lua"
    peers.writeFile(config, '{"adapters":[{"index":"ETH0","interface":"host","profile":"w5500"}]}')
    peers.writeFile(script, [[
        local c = socket.create(socket.ETH0)
        socket.config(c, 0)
        print("listen", socket.listen(c, 2))
        local all = {}
        for i = 1, 9 do all[i] = socket.create(socket.ETH0) end
        print("ninth", all[7] ~= nil, all[8] == nil)
    ]])
    local out = peers.shell(os.getenv("LUATNET_BIN") .. " --adapters " .. config .. " " .. script .. " 2>&1")
    check.truthy(out:find("listen false false", 1, true), "w5500 profile refuses multi-client listen")
    check.truthy(out:find("ninth true true", 1, true), "w5500 profile has eight sockets")
    peers.shell("rm -f " .. config .. " " .. script)
    check.done(37)
end, "multi")

-- clients: ncat, socat and luatnet ctrls at the same time
sysplus.taskInitEx(function()
    sys.waitUntil("MULTI_UP", 15000)
    local results = {}
    local pending = 4
    local function external(name, command)
        sys.taskInit(function()
            results[name] = peers.await(peers.run(command, 10), 10000)
            pending = pending - 1
        end)
    end
    for i = 1, 2 do
        sysplus.taskInitEx(function()
            local name = "lclient" .. i
            local c = socket.create(nil, name)
            socket.config(c)
            libnet.connect(name, 3000, c, "127.0.0.1", MULTI)
            libnet.tx(name, 3000, c, "luat" .. i)
            local ok, ev = libnet.wait(name, 3000, c)
            local _, data = socket.read(c)
            results[name] = data
            libnet.close(name, 2000, c)
            socket.release(c)
            pending = pending - 1
        end, "lclient" .. i)
    end
    sys.wait(300)
    -- Clients that keep their sending side open: a half-close is the end of the connection for the
    -- script (EVENT -1, tx refused), as on the device.
    external("ncat", "printf 'nc' | ncat --no-shutdown -i 2 127.0.0.1 " .. MULTI)
    external("socat", "printf 'sc' | socat -t 2 - TCP:127.0.0.1:" .. MULTI .. ",shut-none")
    while pending > 0 do sys.wait(50) end
    local replies = {}
    for _, name in ipairs({ "lclient1", "lclient2", "ncat", "socat" }) do replies[#replies + 1] = tostring(results[name]) end
    log.info("replies", table.concat(replies, " "))
    check.truthy(results.ncat and results.ncat:match("^%a+:nc"), "ncat client got its echo")
    for _, name in ipairs({ "lclient1", "lclient2" }) do
        check.truthy(results[name] and results[name]:match("^%a+:luat%d$"), name .. " got its echo")
    end
    check.truthy(results.socat and results.socat:match("^%a+:sc$"), "socat client got its echo")
    sys.publish("CLIENTS_DONE")
end, "clients")
sys.run()
