-- mqttpeer: what the MQTT behaviour tests share. A real mosquitto broker on a free loopback port, started
-- from a config file written here (optionally with a password file and TLS listeners) under a time limit;
-- mosquitto_sub / mosquitto_pub runs bounded with -W / -C; and an event recorder for mqtt clients.
local peers = require "peers"

local mqttpeer = {}

-- Starts mosquitto. opts.users = { name = password }, opts.listeners = { { port = n, lines = {...} } }
-- (extra listeners); returns { port, dir, pid }.
function mqttpeer.broker(opts)
    opts = opts or {}
    local dir = peers.shell("mktemp -d"):gsub("%s+$", "")
    local port = peers.freePort()
    -- mosquitto started by root switches to the "mosquitto" user unless told to stay who it is, and could
    -- then not read the files in this private folder.
    local lines = { "user " .. peers.shell("id -un"):gsub("%s+$", ""), "per_listener_settings false", "persistence false", "log_dest file " .. dir .. "/broker.log",
        "log_type all", "listener " .. port .. " 127.0.0.1" }
    if opts.users then
        local first = true
        for name, password in pairs(opts.users) do
            assert(os.execute(string.format("mosquitto_passwd -b %s %s/passwd %s %s", first and "-c" or "", dir, name,
                password)))
            first = false
        end
        lines[#lines + 1] = "password_file " .. dir .. "/passwd"
        lines[#lines + 1] = "allow_anonymous false"
    else
        lines[#lines + 1] = "allow_anonymous true"
    end
    for _, listener in ipairs(opts.listeners or {}) do
        lines[#lines + 1] = "listener " .. listener.port .. " 127.0.0.1"
        for _, line in ipairs(listener.lines) do lines[#lines + 1] = line end
    end
    peers.writeFile(dir .. "/mosquitto.conf", table.concat(lines, "\n") .. "\n")
    local pid = peers.spawn("exec mosquitto -c " .. dir .. "/mosquitto.conf", opts.seconds or 80)
    assert(peers.awaitTcp(port), "mosquitto did not start")
    for _, listener in ipairs(opts.listeners or {}) do assert(peers.awaitTcp(listener.port)) end
    return { port = port, dir = dir, pid = pid }
end

function mqttpeer.stop(broker)
    peers.kill(broker.pid)
    os.execute("rm -rf " .. broker.dir)
end

-- Arguments for mosquitto_sub / mosquitto_pub against the broker.
function mqttpeer.args(broker, user, password)
    local text = "-h 127.0.0.1 -p " .. broker.port .. " -V mqttv311"
    if user then text = text .. " -u " .. user .. " -P " .. password end
    return text
end

-- Records every event of `client` in order; recorder.names() lists them, recorder.next(name, ms) waits
-- for the oldest event called `name` not taken yet and returns it (its arguments at [1], [2], [3]).
function mqttpeer.record(client, extra)
    local recorder = { events = {} }
    client:on(function(c, event, a, b, metas)
        recorder.events[#recorder.events + 1] = { event = event, client = c, a, b, metas }
        if extra then extra(c, event, a, b, metas) end
    end)
    function recorder.next(name, ms)
        local deadline = mcu.ticks() + (ms or 5000)
        while true do
            for _, entry in ipairs(recorder.events) do
                if entry.event == name and not entry.taken then
                    entry.taken = true
                    return entry
                end
            end
            if mcu.ticks() >= deadline then return nil end
            sys.wait(10)
        end
    end
    function recorder.names(from)
        local names = {}
        for i = from or 1, #recorder.events do names[#names + 1] = recorder.events[i].event end
        return table.concat(names, ",")
    end
    return recorder
end

return mqttpeer
