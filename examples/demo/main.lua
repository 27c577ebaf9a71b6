-- The demo: a multi-client echo server and three libnet clients in one LuatOS script, on loopback.
-- Run with: luatnet examples/demo examples/tcp_server examples/tcp_client
PROJECT = "luatnet_demo"
VERSION = "1.0.0"
sys = require("sys")
require("sysplus")

local PORT = 40123
local CLIENTS = 3
local ROUNDS = 5

require("echo_server").start(PORT)

sys.taskInit(function()
    local ok, ip = sys.waitUntil("IP_READY", 3000)
    log.info("demo", "network ready", ok, ip, "adapter", socket.dft())
    sys.waitUntil("ECHO_SERVER_READY", 3000)
    for i = 1, CLIENTS do
        require("echo_client").start("client" .. i, "127.0.0.1", PORT, ROUNDS)
    end
    local total = 0
    for _ = 1, CLIENTS do
        local done, name, sent, echoed = sys.waitUntil("ECHO_CLIENT_DONE", 10000)
        if done then total = total + echoed end
    end
    log.info("demo", string.format("%d of %d lines echoed", total, CLIENTS * ROUNDS))
    sys.publish("ECHO_SERVER_STOP")
    if total ~= CLIENTS * ROUNDS then os.exit(1) end
end)

sys.run()
