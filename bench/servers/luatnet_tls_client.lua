-- TLS client benchmark: new verified handshakes per second against a local TLS echo server, then the
-- throughput of a 16 MiB echo through it. TLS_PORT and TLS_SECONDS; the server's certificate is given on the
-- command line as cert.pem, so it is in /luadb/ as on the device.
local PORT = tonumber(os.getenv("TLS_PORT"))
local CA = io.readFile("/luadb/cert.pem")
local SECONDS = tonumber(os.getenv("TLS_SECONDS") or "5")
sys = require("sys")
require("sysplus")

local TASK = "tls_bench"
local function connect(netc)
    local ok, done = socket.connect(netc, "localhost", PORT)
    if not ok then return false end
    if done then return true end
    local msg = sys_wait(TASK, socket.ON_LINE, 10000)
    return msg ~= nil and msg[2] == 0
end

sysplus.taskInitEx(function()
    local handshakes = 0
    local start = mcu.ticks()
    while mcu.ticks() - start < SECONDS * 1000 do
        local netc = socket.create(nil, TASK)
        socket.config(netc, nil, false, true, nil, nil, nil, CA)
        if connect(netc) then handshakes = handshakes + 1 end
        socket.close(netc)
        socket.release(netc)
        sysplus.cleanMsg(TASK)
    end
    local rate = handshakes * 1000 / (mcu.ticks() - start)

    local netc = socket.create(nil, TASK)
    socket.config(netc, nil, false, true, nil, nil, nil, CA)
    connect(netc)
    local total = 16 * 1024 * 1024
    local chunk = string.rep("z", 64 * 1024)
    local sent, received = 0, 0
    local buff = zbuff.create(256 * 1024)
    local t0 = mcu.ticks()
    while received < total do
        while sent < total do
            local ok, full = socket.tx(netc, chunk)
            if not ok or full then break end
            sent = sent + #chunk
        end
        local ok, ready = socket.wait(netc)
        if not ok then break end
        if not ready then sys_wait(TASK, socket.EVENT, 5000) end
        while true do
            buff:seek(0)
            local rxOk, n = socket.rx(netc, buff)
            if not rxOk or n == 0 then break end
            received = received + n
        end
    end
    local mbps = received / 1e6 / ((mcu.ticks() - t0) / 1000)
    print(string.format("RESULT luatnet tls handshakes_per_s=%.0f bulk_echo_mbps=%.1f", rate, mbps))
    socket.close(netc)
    socket.release(netc)
    os.exit(0)
end, TASK)
sys.run()
