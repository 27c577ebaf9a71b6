-- Defects an attack run found in the socket layer: a ctrl reached after its finalizer ran (or finalized
-- twice through the debug library) must be a released ctrl, and a listener out of file descriptors must
-- shed the clients it cannot take (they hear a close, not silence) and serve again once descriptors are
-- free.
local check = require "check"
local peers = require "peers"

-- 1. __gc twice, then every function answers as for a released ctrl.
local ctrl = socket.create(nil, "a task name longer than the small-string buffer")
local finalize = debug.getmetatable(ctrl).__gc
finalize(ctrl)
finalize(ctrl)
check.eq(socket.tx(ctrl, "x"), nil, "tx on a finalized ctrl answers nothing")
check.eq(socket.state(ctrl), nil, "state on a finalized ctrl answers nothing")
check.truthy(tostring(ctrl):find("released", 1, true), "it prints as released")
socket.release(ctrl)

-- 2. A listener in a process that runs out of descriptors.
local PORT = peers.freePort()
local child = os.tmpname() .. ".lua"
peers.writeFile(child, string.format([[
local PORT = %d
local served = {}
local server = socket.create(nil, function(srv, event, param)
    if event ~= socket.ON_LINE or param ~= 0 then return end
    while true do
        local ok, client = socket.accept(srv, function(c, e, p)
            if e == socket.EVENT and p == 0 then
                local _, data = socket.read(c)
                if #data > 0 then socket.tx(c, data) end
            end
        end)
        if not ok then break end
        served[#served + 1] = client
    end
end)
socket.config(server, PORT)
socket.listen(server, 8)
sys.taskInit(function()
    sys.wait(200)
    local fillers = {}
    while true do
        local udp = socket.create(nil, function() end)
        if not udp then break end
        socket.config(udp, 0, true)
        if not socket.connect(udp, "127.0.0.1", 9) then socket.release(udp) break end
        fillers[#fillers + 1] = udp
        if #fillers > 5000 then break end
    end
    print("FULL", #fillers)
    sys.wait(2500)
    for _, udp in ipairs(fillers) do socket.close(udp) socket.release(udp) end
    print("FREED")
    sys.wait(3000)
    os.exit(0)
end)
sys.run()
]], PORT))

sys.taskInit(function()
    local run = peers.run("ulimit -n 64; " .. os.getenv("LUATNET_BIN") .. " " .. child, 20)
    local outFile = run.out
    local function output() return peers.readFile(outFile) end
    local deadline = mcu.ticks() + 5000
    while not output():find("FULL", 1, true) and mcu.ticks() < deadline do sys.wait(50) end
    check.truthy(output():find("FULL", 1, true), "the child ran out of descriptors")
    local client = [[/usr/bin/python3 -c "
import socket
try:
    s = socket.create_connection(('127.0.0.1', %d), timeout=2)
    s.sendall(b'hi')
    print('GOT', s.recv(10))
except socket.timeout:
    print('TIMEOUT')
except OSError as e:
    print('CLOSED', e)
"]]
    local shed = peers.await(peers.run(string.format(client, PORT), 10), 6000, "\n")
    check.truthy(shed:find("GOT b''", 1, true) or shed:find("CLOSED", 1, true),
        "a client beyond the limit hears a close (" .. shed .. ")")
    deadline = mcu.ticks() + 6000
    while not output():find("FREED", 1, true) and mcu.ticks() < deadline do sys.wait(50) end
    sys.wait(300)
    local served = peers.await(peers.run(string.format(client, PORT), 10), 6000, "\n")
    check.truthy(served:find("GOT b'hi'", 1, true), "once descriptors are free the listener serves (" .. served .. ")")
    peers.await(run, 8000)
    require("luatnet.host").remove(child)
    check.done(6)
end)
sys.run()
