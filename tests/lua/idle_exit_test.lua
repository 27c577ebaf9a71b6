-- When a run ends by itself: a project with nothing left to do exits 0 with no os.exit, as soon as its
-- mqtt, websocket and http clients are closed or done (also when closed while waiting to reconnect), and
-- not while one is still connecting or waits to reconnect. Each case is a child luatnet run of a small
-- project against a real loopback peer (mosquitto, the Python websocket and HTTP peers, a silent TCP
-- listener, a port nobody listens on), under a real-time --timeout: exit 124 means it did not go idle.
local check = require "check"
local peers = require "peers"
local mqttpeer = require "mqttpeer"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local LIMIT_IDLE = 20 -- s: far beyond what an idle run needs, so 124 shows a run that did not end
local LIMIT_BUSY = 4 -- s: a run that must still be going when its limit stops it

-- Starts `body` as the project of a child run (its own folder and device file system) with `limit`
-- seconds of real time; returns the job.
local function start(body, limit)
    local dir = peers.shell("mktemp -d"):gsub("%s+$", "")
    peers.writeFile(dir .. "/main.lua", body .. "\nsys.run()\n")
    local job = peers.run(string.format("%s --fs %s/fs --timeout %d %s/main.lua; code=$?; rm -rf %s; echo EXIT=$code",
        os.getenv("LUATNET_BIN"), dir, limit, dir, dir), limit + 10)
    job.limit = limit
    return job
end

-- Waits for the child to end; its exit code and output.
local function finish(job)
    local out = peers.await(job, (job.limit + 8) * 1000, "EXIT=")
    return tonumber(out:match("EXIT=(%d+)")), out
end

local function count(text, fragment)
    local found = 0
    for _ in text:gmatch(fragment) do found = found + 1 end
    return found
end

-- A project with one client (made by `make`, Lua text that sets `client`) that prints its events and
-- connects; with `closeOn`, it closes itself at its `times`-th `closeOn` event.
local function clientProject(make, closeOn, times)
    return make .. string.format([[
local seen = 0
client:on(function(c, event)
    print("CHILD event", event)
    if event == %q then
        seen = seen + 1
        if seen == %d then
            c:close()
            print("CHILD closed")
        end
    end
end)
print("CHILD connect", client:connect())
]], closeOn or "", times or 1)
end

local function mqttClient(port, reconnect)
    return string.format('client = mqtt.create(nil, "127.0.0.1", %d)\nclient:auth("idle", nil, nil, true)\n%s', port,
        reconnect and "client:autoreconn(true, 1000)\n" or "")
end

local function websocketClient(url, reconnect)
    return string.format("client = websocket.create(nil, %q)\n%s", url,
        reconnect and "client:autoreconn(true, 1000)\n" or "")
end

sys.taskInit(function()
    local broker = mqttpeer.broker({ seconds = 60 })
    local WS_PORT, HTTP_PORT, SILENT_PORT, CLOSED_PORT = peers.freePort(), peers.freePort(), peers.freePort(),
        peers.freePort()
    local pids = {
        peers.spawn(string.format("/usr/bin/python3 %s/../peers/websocket_server.py --port %d --lifetime 55", here,
            WS_PORT), 60),
        peers.spawn(string.format("/usr/bin/python3 %s/../peers/http_peer.py %d", here, HTTP_PORT), 60),
        -- accepts and never answers: an MQTT client stays in its CONNECT/CONNACK step
        peers.spawn(string.format("socat TCP-LISTEN:%d,reuseaddr,fork SYSTEM:'sleep 50'", SILENT_PORT), 55),
    }
    check.truthy(peers.awaitTcp(WS_PORT), "websocket peer up")
    check.truthy(peers.awaitTcp(HTTP_PORT), "http peer up")
    check.truthy(peers.awaitTcp(SILENT_PORT), "silent peer up")
    local WS_ECHO, WS_CLOSED = "ws://127.0.0.1:" .. WS_PORT .. "/echo", "ws://127.0.0.1:" .. CLOSED_PORT .. "/"

    -- Runs that must go on until their limit, started together so they share the wait.
    local busy = {
        mqttConnecting = start(clientProject(mqttClient(SILENT_PORT)), LIMIT_BUSY),
        mqttReconnecting = start(clientProject(mqttClient(CLOSED_PORT, true)), LIMIT_BUSY),
        wsReconnecting = start(clientProject(websocketClient(WS_CLOSED, true)), LIMIT_BUSY),
        httpStalled = start(string.format([[
sys.taskInit(function()
    print("CHILD result", http.request("GET", "http://127.0.0.1:%d/stall", nil, nil, {timeout = 60000}).wait())
end)
]], HTTP_PORT), LIMIT_BUSY),
    }
    -- Runs that must end by themselves once their client is closed or done (a reconnect set up or waiting
    -- must not keep them going).
    local idle = {
        mqttClosed = start(clientProject(mqttClient(broker.port, true), "conack"), LIMIT_IDLE),
        mqttClosedWhileWaiting = start(clientProject(mqttClient(CLOSED_PORT, true), "disconnect", 2), LIMIT_IDLE),
        wsClosed = start(clientProject(websocketClient(WS_ECHO, true), "conack"), LIMIT_IDLE),
        wsClosedWhileWaiting = start(clientProject(websocketClient(WS_CLOSED, true), "disconnect", 2), LIMIT_IDLE),
        httpDone = start(string.format([[
sys.taskInit(function()
    local code, _, body = http.request("GET", "http://127.0.0.1:%d/chunked").wait()
    print("CHILD result", code, #body)
end)
]], HTTP_PORT), LIMIT_IDLE),
    }

    local code, out = finish(busy.mqttConnecting)
    check.eq(code, 124, "an mqtt client waiting for its CONNACK keeps the run going: " .. out)
    check.truthy(out:find("CHILD connect true", 1, true) and not out:find("CHILD event", 1, true),
        "it was connecting, with no event yet")
    code, out = finish(busy.mqttReconnecting)
    check.eq(code, 124, "an mqtt client waiting to reconnect keeps the run going: " .. out)
    check.truthy(count(out, "reconnecting to") >= 2, "it tried again and again")
    code, out = finish(busy.wsReconnecting)
    check.eq(code, 124, "a websocket client waiting to reconnect keeps the run going: " .. out)
    check.truthy(count(out, "CHILD event disconnect") >= 2, "it tried again and again")
    code, out = finish(busy.httpStalled)
    check.eq(code, 124, "an http request without its answer keeps the run going: " .. out)
    check.truthy(not out:find("CHILD result", 1, true), "no result yet")

    for _, case in ipairs({ { idle.mqttClosed, "mqtt" }, { idle.wsClosed, "websocket" } }) do
        code, out = finish(case[1])
        check.eq(code, 0, "the run ends by itself once the " .. case[2] .. " client is closed: " .. out)
        check.truthy(out:find("CHILD event conack", 1, true) and out:find("CHILD closed", 1, true),
            "after it was connected")
    end
    for _, case in ipairs({ { idle.mqttClosedWhileWaiting, "mqtt" }, { idle.wsClosedWhileWaiting, "websocket" } }) do
        code, out = finish(case[1])
        check.eq(code, 0, "and once the " .. case[2] .. " client is closed while waiting to reconnect: " .. out)
        check.eq(count(out, "CHILD event disconnect"), 2, "after two failed attempts")
    end
    code, out = finish(idle.httpDone)
    check.eq(code, 0, "the run ends by itself once the http request is done: " .. out)
    check.truthy(out:find("CHILD result 200 5018", 1, true), "after its result reached the script")

    for _, pid in ipairs(pids) do peers.kill(pid) end
    mqttpeer.stop(broker)
    check.done(21)
end)
sys.run()
