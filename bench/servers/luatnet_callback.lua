-- Echo server in the callback style: accept(ctrl, cb) and an event callback per client that reads into a
-- zbuff and sends it back. BENCH_PORT sets the port.
local PORT = tonumber(os.getenv("BENCH_PORT") or "40200")
sys = require("sys")

local buff = zbuff.create(16 * 1024)
local clients = {}

local function onClient(client, event, param)
    if event == socket.EVENT and param == 0 then
        while true do
            buff:seek(0)
            local ok, n = socket.rx(client, buff)
            if not ok or n == 0 then break end
            socket.tx(client, buff)
        end
        socket.wait(client)
    elseif event == socket.EVENT or event == socket.CLOSED then
        clients[client] = nil
        socket.close(client)
        socket.release(client)
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
