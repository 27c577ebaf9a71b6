-- Echo server in the callback style as LuatOS scripts with flow control write it: each reply is sent and
-- the next read waits for its TX_OK (the script does not read again before the peer has the reply).
-- BENCH_PORT sets the port.
local PORT = tonumber(os.getenv("BENCH_PORT") or "40200")
sys = require("sys")

local buff = zbuff.create(16 * 1024)
local clients = {}

local function drop(client)
    clients[client] = nil
    socket.close(client)
    socket.release(client)
end

local function onClient(client, event, param)
    if param ~= 0 then
        drop(client)
    elseif event == socket.EVENT then
        buff:seek(0)
        local ok, n = socket.rx(client, buff)
        if not ok then
            drop(client)
        elseif n > 0 then
            socket.tx(client, buff) -- TX_OK follows; reading goes on from there
        else
            socket.wait(client)
        end
    elseif event == socket.TX_OK then
        socket.wait(client) -- data that came meanwhile is announced by its own EVENT
    elseif event == socket.CLOSED then
        drop(client)
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
