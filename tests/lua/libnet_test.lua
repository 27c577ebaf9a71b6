-- libnet as luatnet ships it: found by `require` when the project has no libnet.lua (a project's own copy
-- wins), and its blocking calls against a real listener in this script: listen returns with the first
-- client, tx returns once TX_OK came, wait with a timeout returns true, false when nothing arrives and
-- true, true when data does, close waits for CLOSED.
local check = require "check"
local peers = require "peers"
local libnet = require "libnet"

check.eq(debug.getinfo(libnet.tx, "S").source, "=libnet.lua", "the built-in libnet is found")

-- A project's own libnet.lua comes first on the require path.
local folder = "/tmp/luatnet_libnet_" .. peers.freePort()
peers.shell("mkdir -p " .. folder)
peers.writeFile(folder .. "/libnet.lua", "return { own = true }")
local savedPath = package.path
package.path = folder .. "/?.lua;" .. package.path
package.loaded.libnet = nil
check.eq(require("libnet").own, true, "the project's libnet.lua wins")
package.path, package.loaded.libnet = savedPath, libnet
peers.shell("rm -rf " .. folder)

local PORT = peers.freePort()

sysplus.taskInitEx(function()
    local server = socket.create(nil, "server")
    socket.config(server, PORT)
    sys.publish("LISTENING")
    check.eq(libnet.listen("server", 3000, server, 2), true, "listen returns once the first client is there")
    local ok, client = socket.accept(server, "served")
    check.truthy(ok and client, "accepted into a ctrl of its own")
    sysplus.taskInitEx(function()
        local t0 = mcu.ticks()
        local waitOk, event = libnet.wait("served", 200, client)
        check.eq(waitOk, true, "wait: no failure")
        check.eq(event, false, "wait: nothing came within 200 ms")
        check.truthy(mcu.ticks() - t0 >= 190, "wait: it waited the timeout")
        sys.publish("SERVER_WAITED")
        waitOk, event = libnet.wait("served", 3000, client)
        check.truthy(waitOk and event, "wait: the client's data")
        local _, data = socket.read(client)
        check.eq(data, "ping", "the client's bytes")
        local txOk, full = libnet.tx("served", 3000, client, "pong")
        check.eq(txOk, true, "tx returns true once TX_OK came")
        check.eq(full, false, "tx: the queue was not full")
        waitOk, event = libnet.wait("served", 3000, client)
        check.eq(waitOk, false, "wait: the client's close is a failure")
        libnet.close("served", 1000, client)
        socket.release(client)
        sys.publish("SERVED")
    end, "served")
end, "server")

sysplus.taskInitEx(function()
    sys.waitUntil("LISTENING", 3000)
    local c = socket.create(nil, "client")
    socket.config(c)
    check.eq(libnet.waitLink("client", 1000, c), true, "waitLink: the link is up")
    check.eq(libnet.connect("client", 3000, c, "127.0.0.1", PORT), true, "connect returns once online")
    sys.waitUntil("SERVER_WAITED", 3000)
    check.eq(libnet.tx("client", 3000, c, "ping"), true, "the client's tx")
    local waitOk, event = libnet.wait("client", 3000, c)
    check.truthy(waitOk and event, "the reply came")
    local _, data = socket.read(c)
    check.eq(data, "pong", "the reply's bytes")
    libnet.close("client", 3000, c)
    socket.release(c)
    sys.waitUntil("SERVED", 3000)
    check.done(17)
end, "client")
