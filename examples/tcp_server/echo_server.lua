-- echo_server: a multi-client TCP echo server as LuatOS scripts write one: a task listens with a backlog,
-- accepts each client into its own ctrl with a callback, and echoes what arrives.
local libnet = require "libnet"

local echo_server = {}
local TASK = "echo_server"
local clients = {}

local function drop(client)
    if not clients[client] then return end
    clients[client] = nil
    socket.close(client)
    socket.release(client)
end

-- Echoes what has arrived. When tx reports full nothing was taken: keep the bytes, stop reading and try
-- again shortly (TX_OK only follows data that was taken).
local function echo(client)
    local state = clients[client]
    if not state then return end
    while true do
        if state.pending then
            local ok, full = socket.tx(client, state.pending)
            if not ok then return drop(client) end
            if full then
                sys.timerStart(echo, 10, client)
                return
            end
            state.pending = nil
        end
        state.buff:del()
        local ok, n = socket.rx(client, state.buff)
        if not ok then return drop(client) end
        if n == 0 then break end
        local sent, full = socket.tx(client, state.buff)
        if not sent then return drop(client) end
        if full then
            state.pending = state.buff:toStr(0, n)
            sys.timerStart(echo, 10, client)
            return
        end
    end
    socket.wait(client)
end

local function onClient(client, event, param)
    if event == socket.EVENT and param == 0 then
        local state = clients[client]
        if state and not state.pending then echo(client) end
    elseif event == socket.EVENT or event == socket.CLOSED then
        log.info("echo_server", "client left", client)
        drop(client)
    end
end

-- Starts the server task; it publishes "ECHO_SERVER_READY" once listening and stops on "ECHO_SERVER_STOP".
function echo_server.start(port)
    sysplus.taskInitEx(function()
        local server = socket.create(socket.dft(), TASK)
        socket.config(server, port)
        local ok = socket.listen(server, 8)
        while ok and socket.state(server) ~= 6 do sys.wait(10) end
        log.info("echo_server", "listening on", socket.localIP(), port)
        sys.publish("ECHO_SERVER_READY", port)
        while ok do
            if not libnet.listen(TASK, 0, server, 8) then break end
            local accepted, client, ip, clientPort = socket.accept(server, onClient)
            if accepted and client then
                log.info("echo_server", "client", ip, clientPort)
                clients[client] = { buff = zbuff.create(1024) }
                socket.wait(client)
            end
        end
        log.info("echo_server", "stopped")
        for client in pairs(clients) do drop(client) end
        socket.close(server)
        socket.release(server)
    end, TASK)
    sys.subscribe("ECHO_SERVER_STOP", function() sys_send(TASK, socket.ON_LINE, -1) end)
end

return echo_server
