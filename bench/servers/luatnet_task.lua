-- Echo server as LuatOS users write one with tasks: listen with a backlog, accept each client into its
-- own ctrl with a task name, and a task per client that waits with sys_wait, reads into a zbuff and sends it
-- back. With BENCH_TXOK=1 the task then waits with sys_wait for the reply's TX_OK before reading again.
-- Also a UDP echo on the same port. BENCH_PORT sets the port.
local PORT = tonumber(os.getenv("BENCH_PORT") or "40200")
local TXOK = os.getenv("BENCH_TXOK") == "1"
sys = require("sys")
require("sysplus")

local function serveClient(name, client)
    sysplus.taskInitEx(function()
        local buff = zbuff.create(16 * 1024)
        while true do
            local ok, ready = socket.wait(client)
            if not ok then break end
            if not ready then
                local msg = sys_wait(name, socket.EVENT, 0)
                if not msg or msg[2] ~= 0 then break end
            end
            buff:seek(0)
            local rxOk, n = socket.rx(client, buff)
            if not rxOk then break end
            if n > 0 then
                if not socket.tx(client, buff) then break end
                if TXOK then
                    local msg = sys_wait(name, socket.TX_OK, 0)
                    if not msg or msg[2] ~= 0 then break end
                end
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
        local msg = sys_wait("bench_server", socket.ON_LINE, 0)
        if msg and msg[2] == 0 then
            count = count + 1
            local name = "c" .. count
            local ok, client = socket.accept(server, name)
            if ok then serveClient(name, client) end
        end
    end
end, "bench_server")

sysplus.taskInitEx(function()
    local udp = socket.create(nil, "bench_udp")
    socket.config(udp, PORT, true)
    socket.listen(udp)
    local buff = zbuff.create(2048)
    while true do
        local ok, ready = socket.wait(udp)
        if not ready then sys_wait("bench_udp", socket.EVENT, 0) end
        while true do
            buff:seek(0)
            local rxOk, n, ip, port = socket.rx(udp, buff)
            if not rxOk or n == 0 then break end
            socket.tx(udp, buff, string.format("%d.%d.%d.%d", ip:byte(2, 5)), port)
        end
    end
end, "bench_udp")

sys.run()
