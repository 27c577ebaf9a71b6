-- Echo server on luv (libuv for Lua): TCP and UDP. BENCH_PORT sets the port.
local uv = require("luv")
local PORT = tonumber(os.getenv("BENCH_PORT") or "40200")

local server = uv.new_tcp()
server:bind("127.0.0.1", PORT)
server:listen(4096, function()
    local client = uv.new_tcp()
    server:accept(client)
    client:nodelay(true)
    client:read_start(function(err, data)
        if err or not data then
            client:close()
            return
        end
        client:write(data)
    end)
end)

local udp = uv.new_udp()
udp:bind("127.0.0.1", PORT)
udp:recv_start(function(err, data, addr)
    if data and addr then udp:send(data, addr.ip, addr.port) end
end)

uv.run()
