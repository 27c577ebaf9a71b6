-- Echo server on LuaSocket + copas (coroutines over select). BENCH_PORT and BENCH_SIZE set the port
-- and the message size.
package.path = package.path .. ";/usr/share/lua/5.2/?.lua" -- Debian ships copas for 5.1/5.2; it runs on 5.3
local socket = require("socket")
local copas = require("copas")
local PORT = tonumber(os.getenv("BENCH_PORT") or "40200")
-- copas receives a given count: the load generator's message size
local SIZE = tonumber(os.getenv("BENCH_SIZE") or "64")

local server = assert(socket.bind("127.0.0.1", PORT))
copas.addserver(server, function(raw)
    raw:setoption("tcp-nodelay", true)
    local client = copas.wrap(raw) -- receive/send that yield to the other connections
    while true do
        local data, err, partial = client:receive(SIZE)
        local chunk = data or partial
        if chunk and #chunk > 0 then client:send(chunk) end
        if err == "closed" then break end
    end
end)
copas.loop()
