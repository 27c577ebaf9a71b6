-- Echo server in the sysplus task style with flow control: a task per client waits with sys_wait for
-- EVENT, reads, sends the reply and waits with sys_wait for its TX_OK before reading again.
-- BENCH_PORT sets the port.
local PORT = tonumber(os.getenv("BENCH_PORT") or "40200")
sys = require("sys")
require("sysplus")

local function serveClient(name, client)
    sysplus.taskInitEx(function()
        local buff = zbuff.create(16 * 1024)
        while true do
            local ok, ready = socket.wait(client)
            if not ok then break end
            if not ready then
                local msg = sys_wait(name, socket.EVENT)
                if not msg or msg[2] ~= 0 then break end
            end
            buff:seek(0)
            local rxOk, n = socket.rx(client, buff)
            if not rxOk then break end
            if n > 0 then
                if not socket.tx(client, buff) then break end
                local msg = sys_wait(name, socket.TX_OK)
                if not msg or msg[2] ~= 0 then break end
            end
        end
        socket.close(client)
        socket.release(client)
        sysplus.taskDel(name)
    end, name)
end

sysplus.taskInitEx(function()
    local server = socket.create(nil, "bench_server")
    socket.config(server, PORT)
    socket.listen(server, 8)
    local count = 0
    while true do
        local msg = sys_wait("bench_server", socket.ON_LINE)
        if msg and msg[2] == 0 then
            count = count + 1
            local name = "c" .. count
            local ok, client = socket.accept(server, name)
            if ok then serveClient(name, client) end
        end
    end
end, "bench_server")

sys.run()
