-- Echo server in the callback style: accept(ctrl, cb) and an event callback per client that reads into a
-- zbuff and sends it back. With BENCH_TXOK=1 it handles TX_OK as scripts with flow control do: after a
-- reply it reads again only once that reply's TX_OK came. Without it, it waits again right after tx,
-- which cancels the TX_OK wait. BENCH_PORT sets the port.
local PORT = tonumber(os.getenv("BENCH_PORT") or "40200")
local TXOK = os.getenv("BENCH_TXOK") == "1"
sys = require("sys")

local buff = zbuff.create(16 * 1024)
local clients = {}

local function drop(client)
    clients[client] = nil
    socket.close(client)
    socket.release(client)
end

local function echoAll(client)
    while true do
        buff:seek(0)
        local ok, n = socket.rx(client, buff)
        if not ok or n == 0 then break end
        socket.tx(client, buff)
    end
    socket.wait(client)
end

local function echoOnce(client)
    buff:seek(0)
    local ok, n = socket.rx(client, buff)
    if not ok then
        drop(client)
    elseif n > 0 then
        socket.tx(client, buff) -- TX_OK follows; reading goes on from there
    else
        socket.wait(client)
    end
end

local function onClient(client, event, param)
    if param ~= 0 or event == socket.CLOSED then
        drop(client)
    elseif event == socket.EVENT then
        if TXOK then echoOnce(client) else echoAll(client) end
    elseif event == socket.TX_OK then
        socket.wait(client) -- data that came meanwhile is announced by its own EVENT
    end
end

local server = socket.create(nil, function(ctrl, event, param)
    if event == socket.ON_LINE and param == 0 then
        local ok, client = socket.accept(ctrl, onClient)
        if ok then
            clients[client] = true
            socket.wait(client)
        end
    end
end)
socket.config(server, PORT)
socket.listen(server, 8)
sys.run()
