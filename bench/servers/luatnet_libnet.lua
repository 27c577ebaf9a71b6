-- Echo server on libnet as LuatOS projects write one: a task per client, libnet.wait with a 60 s
-- timeout, libnet.tx with a 5 s timeout (it returns once TX_OK came). `require "libnet"` finds the
-- project's own libnet.lua first (BENCH_LIBNET_DIR puts a folder holding one on the path), else
-- luatnet's. BENCH_PORT sets the port.
local PORT = tonumber(os.getenv("BENCH_PORT") or "40200")
if os.getenv("BENCH_LIBNET_DIR") then
    package.path = os.getenv("BENCH_LIBNET_DIR") .. "/?.lua;" .. package.path
end
sys = require("sys")
require("sysplus")
local libnet = require("libnet")

local function serveClient(name, client)
    sysplus.taskInitEx(function()
        local buff = zbuff.create(16 * 1024)
        while true do
            local ok, event = libnet.wait(name, 60000, client)
            if not ok then break end
            if event then
                buff:seek(0)
                local rxOk, n = socket.rx(client, buff)
                if not rxOk then break end
                if n > 0 and not libnet.tx(name, 5000, client, buff) then break end
            end
        end
        libnet.close(name, 5000, client)
        socket.release(client)
        sysplus.taskDel(name)
    end, name)
end

sysplus.taskInitEx(function()
    local server = socket.create(nil, "bench_server")
    socket.config(server, PORT)
    -- libnet.listen returns once the first client is there (its ON_LINE); each later client has its own.
    local online = libnet.listen("bench_server", 0, server, 8)
    local count = 0
    while online do
        count = count + 1
        local name = "c" .. count
        local ok, client = socket.accept(server, name)
        if ok then serveClient(name, client) end
        local msg = sys_wait("bench_server", socket.ON_LINE)
        online = msg and msg[2] == 0
    end
end, "bench_server")

sys.run()
