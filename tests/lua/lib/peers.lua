-- peers: real network peers for the socket tests (socat and ncat processes on loopback), started with a
-- time limit so that none outlives its test. Peer output lives in host files (/tmp), which scripts' io.open
-- does not reach (it opens device paths), so this host-side code uses luatnet.host's unmapped functions.
local host = require "luatnet.host"
local peers = {}

local function shell(command)
    local pipe = io.popen(command)
    local out = pipe:read("*a")
    pipe:close()
    return out
end

local function quote(text)
    return "'" .. text:gsub("'", "'\\''") .. "'"
end

local function readAll(name)
    local file = host.open(name)
    if not file then return "" end
    local text = file:read("*a")
    file:close()
    return text
end

-- Starts `command` in the background, in its own process group, under `timeout`; returns its pid.
function peers.spawn(command, seconds)
    local pid = shell(string.format("setsid timeout %d bash -c %s >/dev/null 2>&1 </dev/null & echo $!",
        seconds or 60, quote(command)))
    return tonumber(pid)
end

-- Runs `command` in the background (the event loop keeps going); await() returns its output.
function peers.run(command, seconds)
    local out = os.tmpname()
    local pid = shell(string.format("setsid timeout %d bash -c %s >%s 2>&1 </dev/null & echo $!",
        seconds or 30, quote(command), out))
    return { pid = tonumber(pid), out = out }
end

-- Waits until the job has ended or its output holds `text`, stops it and returns its output.
function peers.await(job, ms, text)
    local deadline = mcu.ticks() + (ms or 30000)
    while mcu.ticks() < deadline do
        if text and readAll(job.out):find(text, 1, true) then break end
        if not os.execute("kill -0 " .. job.pid .. " 2>/dev/null") then break end
        sys.wait(20)
    end
    peers.kill(job.pid)
    local output = readAll(job.out)
    host.remove(job.out)
    return output
end

-- Stops a spawned peer and everything it started.
function peers.kill(pid)
    if pid then os.execute("kill -- -" .. pid .. " 2>/dev/null; kill " .. pid .. " 2>/dev/null") end
end

-- A port nothing uses now, below the ephemeral range (servers need ports under 60000, and parallel
-- tests pick at random so they rarely meet).
function peers.freePort()
    return tonumber(shell([[/usr/bin/python3 -c '
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

-- A TCP echo peer (socat) on a free port for `seconds`, each connection ending after `idle` quiet seconds;
-- returns its port and pid. Wait for it with awaitTcp.
function peers.tcpEcho(seconds, idle)
    local port = peers.freePort()
    local pid = peers.spawn(string.format("socat -T %d TCP-LISTEN:%d,reuseaddr,fork PIPE", idle or 30, port),
        seconds or 60)
    return port, pid
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
    local stat = host.open("/proc/self/stat"):read("*l")
    local pid = stat:match("^(%d+)")
    return tonumber(shell("ls /proc/" .. pid .. "/fd | wc -l"))
end

-- Whether this host lets the process open unprivileged ICMP datagram sockets (net.ipv4.ping_group_range
-- holds its group); icmp tests check the real echo where it does and the refusal where it does not.
function peers.pingSocketsAllowed()
    local low, high = readAll("/proc/sys/net/ipv4/ping_group_range"):match("(%d+)%s+(%d+)")
    local gid = tonumber(shell("id -g"))
    return low ~= nil and gid ~= nil and tonumber(low) <= gid and gid <= tonumber(high)
end

-- Host files, for test set-up and output (the script's own io functions take device paths).
peers.readFile = readAll

function peers.writeFile(name, text)
    local file = assert(host.open(name, "w"))
    file:write(text)
    file:close()
end

peers.shell = shell
peers.readAll = readAll
return peers
