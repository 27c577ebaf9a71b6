-- peers: real network peers for the socket tests (socat and ncat processes on loopback), started with a
-- time limit so that none outlives its test.
local peers = {}

local function shell(command)
    local pipe = io.popen(command)
    local out = pipe:read("*a")
    pipe:close()
    return out
end

-- Starts `command` in the background under `timeout`; returns its pid.
function peers.spawn(command, seconds)
    local pid = shell(string.format("timeout %d %s >/dev/null 2>&1 & echo $!", seconds or 60, command))
    return tonumber(pid)
end

-- Runs `command` in the background (the event loop keeps going); await() returns its output.
function peers.run(command, seconds)
    local out = os.tmpname()
    local pid = shell(string.format("(timeout %d bash -c %q > %s 2>&1) >/dev/null 2>&1 & echo $!",
        seconds or 30, command, out))
    return { pid = tonumber(pid), out = out }
end

function peers.await(job, ms)
    local deadline = mcu.ticks() + (ms or 30000)
    while os.execute("kill -0 " .. job.pid .. " 2>/dev/null") and mcu.ticks() < deadline do sys.wait(20) end
    local file = io.open(job.out)
    local text = file and file:read("*a") or ""
    if file then file:close() end
    os.remove(job.out)
    return text
end

function peers.kill(pid)
    if pid then os.execute("kill " .. pid .. " 2>/dev/null") end
end

-- A port nothing uses now, below the ephemeral range (servers need ports under 60000, and parallel
-- tests pick at random so they rarely meet).
function peers.freePort()
    return tonumber(shell([[python3 -c '
import random, socket
while True:
    port = random.randrange(20000, 32000)
    try:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", port)); s.close()
        print(port); break
    except OSError:
        pass
']]))
end

-- Waits until something accepts TCP connections on 127.0.0.1:port (the peer has started).
function peers.awaitTcp(port)
    for _ = 1, 100 do
        if os.execute("bash -c 'exec 3<>/dev/tcp/127.0.0.1/" .. port .. "' 2>/dev/null") then return true end
        sys.wait(50)
    end
    return false
end

-- Waits until a UDP socket is bound to port (the peer has started).
function peers.awaitUdp(port)
    for _ = 1, 100 do
        if shell("ss -Hlun 'sport = :" .. port .. "'"):find(tostring(port), 1, true) then return true end
        sys.wait(50)
    end
    return false
end

-- Open descriptors of this process.
function peers.fdCount()
    local stat = io.open("/proc/self/stat"):read("*l")
    local pid = stat:match("^(%d+)")
    return tonumber(shell("ls /proc/" .. pid .. "/fd | wc -l"))
end

peers.shell = shell
return peers
