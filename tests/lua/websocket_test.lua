-- websocket against real peers on loopback: a Python `websockets` server (echo, headers, fragments, pings,
-- close codes, wss with a certificate made here by openssl) and a raw-socket server that answers the
-- upgrade badly or sends broken frames (tests/peers/websocket_server.py). Events must come as the firmware
-- sends them: conack, recv(data, fin, opcode), sent, error(kind, 0), disconnect.
local check = require "check"
local dnsPeer = require "dns_peer"
local host = require "luatnet.host"
local peers = require "peers"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local SERVER = here .. "/../peers/websocket_server.py"
local dir = peers.shell("mktemp -d"):gsub("%s+$", "")
assert(os.execute("cd " .. dir .. " && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem " ..
    "-days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1"), "openssl")

local PORT, RAW, TLS, V6, DNS = peers.freePort(), peers.freePort(), peers.freePort(), peers.freePort(), peers.freePort()
local pids = {
    peers.spawn(string.format("/usr/bin/python3 %s --port %d --raw-port %d --lifetime 70", SERVER, PORT, RAW), 75),
    peers.spawn(string.format("/usr/bin/python3 %s --port %d --cert %s/cert.pem --key %s/key.pem --lifetime 70",
        SERVER, TLS, dir, dir), 75),
    peers.spawn(string.format("/usr/bin/python3 %s --host ::1 --port %d --lifetime 70", SERVER, V6), 75),
}
local WS = "ws://127.0.0.1:" .. PORT
local WS_RAW = "ws://127.0.0.1:" .. RAW

-- A client whose events are kept in order; next(name) takes the next event, which must be `name`.
local function open(url, keepalive, ipv6, adapter)
    local wsc = websocket.create(adapter, url, keepalive, ipv6)
    local events = {}
    wsc:on(function(client, event, a, b, c)
        events[#events + 1] = { client = client, event = event, a = a, b = b, c = c }
        sys.publish("WS_EVENT")
    end)
    local taken = 0
    local function nextEvent(ms)
        local deadline = mcu.ticks() + (ms or 5000)
        while taken >= #events and mcu.ticks() < deadline do sys.waitUntil("WS_EVENT", deadline - mcu.ticks()) end
        if taken >= #events then return { event = "timeout" } end
        taken = taken + 1
        return events[taken]
    end
    return wsc, nextEvent, events
end

local function connected(url, keepalive, ipv6)
    local wsc, nextEvent, events = open(url, keepalive, ipv6)
    check.eq(wsc:connect(), true, url .. ": connect starts")
    local first = nextEvent()
    check.eq(first.event, "conack", url .. ": conack")
    return wsc, nextEvent, events
end

local function expectFailure(url, kind, what)
    local wsc, nextEvent = open(url)
    wsc:connect()
    local e = nextEvent()
    check.eq(e.event .. ":" .. tostring(e.a) .. ":" .. tostring(e.b), "error:" .. kind .. ":0", what .. ": error " .. kind)
    check.eq(nextEvent().event, "disconnect", what .. ": then disconnect")
    check.eq(wsc:ready(), false, what .. ": not ready")
    wsc:close()
end

local function rssKiB()
    return tonumber(host.open("/proc/self/status"):read("*a"):match("VmRSS:%s*(%d+)"))
end

sys.taskInit(function()
    check.truthy(peers.awaitTcp(PORT) and peers.awaitTcp(RAW) and peers.awaitTcp(TLS), "servers started")

    -- arguments, as the firmware checks them
    check.raises("bad argument #2", "url is required", websocket.create, nil, nil)
    check.raises("bad argument #2", "url must be a string", websocket.create, nil, {})
    check.raises("bad argument #1", "adapter must be a number", websocket.create, "eth", WS)
    check.eq(websocket.create(99, WS), nil, "unknown adapter: nil")
    check.eq(websocket.create(socket.LWIP_STA, WS), nil, "adapter not registered: nil")
    for _, bad in ipairs({ "http://127.0.0.1/", "ws://", "ws://:80/", "ws://h:99999/", "ws://h:8a/", "ws://u:p@h/",
        "ws://h /x", "ws://[::1/", "ws://h:1:2/" }) do
        check.eq(websocket.create(nil, bad), nil, "malformed URL refused: " .. bad)
    end
    for _, good in ipairs({ "ws://h", "wss://h:8443/p?q=1", "127.0.0.1:80/x", "ws://[::1]:9000", "ws://h?x=1" }) do
        local wsc = websocket.create(nil, good, 30, true)
        check.eq(type(wsc), "userdata", "URL taken: " .. good)
        if wsc then wsc:close() end
    end
    local idle = websocket.create(nil, WS .. "/echo")
    check.raises("websocket client expected", "methods need a client", websocket.send, nil, "x")
    check.raises("websocket client expected", "methods need a client (ready)", idle.ready, "x")
    check.raises("bad argument #3", "autoreconn period must be a number", idle.autoreconn, idle, true, "soon")
    check.eq(idle.state, nil, "no state method on the firmware")
    check.eq(idle:ready(), false, "not ready before connect")
    check.eq(idle:send("early"), false, "send before conack: false")
    check.eq(select("#", idle:send({})), 0, "send of a table: nothing")
    check.eq(idle:headers(true), nil, "headers(boolean): nil")
    check.eq(idle:headers({ A = "b\r\nX-Injected: 1" }), nil, "header value with a line break refused")
    check.eq(idle:headers({ A = "" }), nil, "empty header value refused")
    check.eq(idle:headers({ A = string.rep("v", 300) }), nil, "header pair over 256 bytes refused")
    check.eq(idle:headers("A: b\r\n\r\nGET / HTTP/1.1"), nil, "header string ending the request early refused")
    check.eq(idle:headers({ Auth = "Basic x" }), true, "headers(table): true")
    idle:close()
    check.eq(idle:connect(), false, "connect after close: false")
    check.eq(select("#", idle:close()), 0, "second close does nothing")

    -- text and binary echo, sent events, WEBSOCKET_CONNACK
    local published
    sys.subscribe("WEBSOCKET_CONNACK", function(client) published = client end)
    local wsc, nextEvent = connected(WS .. "/echo")
    check.eq(wsc:ready(), true, "ready after conack")
    -- sends and returns the echo; the sent event (TCP acknowledgement) may come before or after it
    local function echo(...)
        local ok = wsc:send(...)
        local sent, reply = 0, nil
        for _ = 1, ok and 2 or 0 do
            local e = nextEvent()
            if e.event == "sent" then sent = sent + 1 elseif e.event == "recv" then reply = e end
        end
        check.eq(sent, ok and 1 or 0, "one sent event per send")
        return reply or { event = "none" }
    end
    local e = echo("hello")
    check.eq(e.event .. "|" .. e.a .. "|" .. e.b .. "|" .. e.c, "recv|hello|1|1", "text echo: data, fin 1, opcode 1")
    check.truthy(e.client == wsc, "callback gets the client first")
    check.truthy(published == wsc, "WEBSOCKET_CONNACK carries the client")
    local binary = string.char(0, 1, 2, 0xfe, 0xff)
    e = echo(binary, 1)
    check.eq(e.a == binary and e.c, 2, "binary echo (third argument 1): opcode 2")
    local zb = zbuff.create(16)
    zb:write("zbuff!")
    e = echo(zb, 0, 1)
    check.eq(e.a .. "|" .. e.c, "zbuff!|1", "zbuff payload; (0, 1) is text as on the firmware")
    local big = string.rep("0123456789", 3000)
    e = echo(big)
    check.eq(e.a == big, true, "30000-byte echo in one frame")
    check.eq(wsc:send(string.rep("x", 65535)), false, "a frame of 64 KiB or more is refused")
    for i = 1, 3 do wsc:send("burst" .. i) end
    local sent, received = 0, {}
    for _ = 1, 6 do
        e = nextEvent()
        if e.event == "sent" then sent = sent + 1 else received[#received + 1] = e.a end
    end
    check.eq(sent, 3, "one sent event per send in a burst")
    check.eq(table.concat(received, ","), "burst1,burst2,burst3", "burst echoed in order")
    wsc:close()

    -- extra headers and the request target
    wsc, nextEvent = open(WS .. "/headers?x=1&y=a%20b#frag")
    wsc:headers({ Auth = "Basic ABC.d-e_f *", ["X-Num"] = 42 })
    wsc:connect()
    check.eq(nextEvent().event, "conack", "headers: conack")
    local seen = json.decode(nextEvent().a)
    local got = {}
    for _, pair in ipairs(seen.headers) do got[pair[1]] = pair[2] end
    check.eq(seen.path, "/headers?x=1&y=a%20b", "path and query sent, fragment not")
    check.eq(got.Auth, "Basic ABC.d-e_f *", "table header value sent as given")
    check.eq(got["X-Num"], "42", "number header value")
    check.eq(got.Host, "127.0.0.1:" .. PORT, "Host names the port")
    wsc:close()
    wsc, nextEvent = open(WS .. "/headers")
    check.eq(wsc:headers("X-Raw: yes"), true, "headers(string)")
    wsc:connect()
    nextEvent()
    seen = json.decode(nextEvent().a)
    got = {}
    for _, pair in ipairs(seen.headers) do got[pair[1]] = pair[2] end
    check.eq(got["X-Raw"], "yes", "string header sent (CRLF added)")
    wsc:close()

    -- fragmented messages arrive frame by frame (this server ends each with an empty final frame)
    wsc, nextEvent = connected(WS .. "/fragments")
    local frames = {}
    for _ = 1, 7 do
        e = nextEvent()
        frames[#frames + 1] = string.format("%s/%s/%s", e.a and e.a:toHex() or e.event, tostring(e.b), tostring(e.c))
    end
    check.eq(table.concat(frames, " "), ("one-"):toHex() .. "/0/1 " .. ("two-"):toHex() .. "/0/0 " ..
        ("three"):toHex() .. "/0/0 /1/0 0001/0/2 02FF/0/0 /1/0", "fragments: fin and opcode per frame")
    wsc:close()

    -- the server's ping is answered with its payload
    wsc, nextEvent = connected(WS .. "/ping")
    check.eq(nextEvent().a, "pong hello", "pong carried the ping's payload")
    wsc:close()

    -- the keepalive ping: empty, masked, after `keepalive` seconds without traffic
    wsc, nextEvent = connected(WS_RAW .. "/raw/count-pings", 1)
    local started = mcu.ticks()
    e = nextEvent(4000)
    check.eq(e.a, "ping 0 masked=1", "keepalive ping")
    check.truthy(mcu.ticks() - started >= 800, "not before the keepalive period")
    wsc:close()

    -- close codes both ways
    wsc, nextEvent = connected(WS .. "/close/4001")
    e = nextEvent()
    check.eq(e.event .. ":" .. tostring(e.a) .. ":" .. tostring(e.b), "error:rx:0", "server close: error rx, 0")
    check.eq(nextEvent().event, "disconnect", "server close: disconnect")
    check.eq(wsc:ready(), false, "not ready after the server closed")
    wsc:close()
    local watched
    wsc, nextEvent, watched = connected(WS .. "/watch-close")
    wsc:close()
    sys.wait(300)
    check.eq(#watched, 1, "no event after close")
    wsc, nextEvent = connected(WS .. "/last-close")
    check.eq(nextEvent().a, "1000", "the server saw close code 1000")
    wsc:close()

    -- bad upgrades and broken frames: error and disconnect, no growth
    expectFailure(WS_RAW .. "/raw/garbage", "rx", "garbage answer")
    expectFailure(WS_RAW .. "/raw/not101", "rx", "200 answer")
    expectFailure(WS_RAW .. "/raw/wrong-accept", "rx", "wrong Sec-WebSocket-Accept")
    expectFailure(WS_RAW .. "/raw/endless-headers", "rx", "endless headers")
    local before = rssKiB()
    wsc, nextEvent = connected(WS_RAW .. "/raw/huge-length")
    e = nextEvent()
    check.eq(e.event .. ":" .. tostring(e.a), "error:rx", "2^62-byte frame refused")
    check.eq(nextEvent().event, "disconnect", "2^62-byte frame: disconnect")
    check.truthy(rssKiB() - before < 16 * 1024, "memory did not grow with the announced length")
    wsc:close()
    wsc, nextEvent = connected(WS_RAW .. "/raw/mid-frame")
    e = nextEvent()
    check.eq(e.event .. ":" .. tostring(e.a), "error:connect", "peer closed mid-frame: error connect")
    check.eq(nextEvent().event, "disconnect", "mid-frame: disconnect")
    wsc:close()
    for _, case in ipairs({ { "masked", "masked server frame" }, { "bad-opcode", "reserved opcode" },
        { "too-big", "frame over 32 KiB" } }) do
        wsc, nextEvent = connected(WS_RAW .. "/raw/" .. case[1])
        check.eq(nextEvent().a, "rx", case[2] .. ": error rx")
        wsc:close()
    end
    wsc, nextEvent = connected(WS_RAW .. "/raw/max-frame")
    e = nextEvent()
    check.eq(e.a and #e.a, 32768, "a 32 KiB frame is delivered")
    check.eq(nextEvent().a, "after", "and the frame after it")
    wsc:close()
    wsc, nextEvent = connected(WS_RAW .. "/raw/not-utf8")
    check.eq(nextEvent().a, "\xff\xfe bytes", "a text frame is passed on without a UTF-8 check")
    wsc:close()
    wsc, nextEvent = connected(WS_RAW .. "/raw/trickle")
    local texts = {}
    for _ = 1, 3 do texts[#texts + 1] = nextEvent().a end
    check.eq(table.concat(texts, ","), "first,second,slow frame", "frames behind the upgrade and byte by byte")
    wsc:close()

    -- refused connection, then autoreconn
    local closedPort = peers.freePort()
    expectFailure("ws://127.0.0.1:" .. closedPort .. "/", "connect", "refused connection")
    wsc, nextEvent = open(WS .. "/close/1001")
    wsc:autoreconn(true, 500)
    wsc:connect()
    local sequence = {}
    local reconnectStart = mcu.ticks()
    for _ = 1, 7 do sequence[#sequence + 1] = nextEvent(4000).event end
    check.eq(table.concat(sequence, ","), "conack,error,disconnect,conack,error,disconnect,conack",
        "autoreconn: reconnects after each loss")
    check.truthy(mcu.ticks() - reconnectStart >= 2000, "autoreconn waits at least 1 s (500 is raised to 1000)")
    wsc:close()

    -- an open client is not collected while the script holds no reference (the firmware keeps it); a
    -- closed one is, with no event after close
    do
        local orphan = websocket.create(nil, WS .. "/echo")
        orphan:on(function(client, event)
            if event == "conack" then client:send("orphan") elseif event == "recv" then
                sys.publish("ORPHAN", event)
                client:close()
            end
        end)
        orphan:connect()
    end
    collectgarbage()
    collectgarbage()
    check.eq(sys.waitUntil("ORPHAN", 5000), true, "an unreferenced client still works")
    collectgarbage()
    collectgarbage()
    sys.wait(200)

    -- a simulated link (LWIP_GP, 4 KiB send buffer): its loss ends the session like any loss, autoreconn
    -- brings it back once the link returns
    wsc, nextEvent = open(WS .. "/echo", nil, nil, socket.LWIP_GP)
    wsc:autoreconn(true, 1000)
    wsc:connect()
    check.eq(nextEvent().event, "conack", "simulated link: conack")
    check.eq(echo(big).a == big, true, "30000 bytes through a 4 KiB send buffer")
    netsim.link(socket.LWIP_GP, false)
    e = nextEvent()
    check.eq(e.event .. ":" .. tostring(e.a), "error:connect", "link lost: error connect")
    check.eq(nextEvent().event, "disconnect", "link lost: disconnect")
    sys.timerStart(netsim.link, 1500, socket.LWIP_GP, true)
    local lostAt = mcu.ticks()
    repeat e = nextEvent(6000) until e.event ~= "error" and e.event ~= "disconnect"
    check.eq(e.event, "conack", "link back: reconnected")
    check.truthy(mcu.ticks() - lostAt >= 1400, "not before the link returned")
    check.eq(echo("again").a, "again", "echo after the reconnect")
    wsc:close()

    -- wss: the firmware's websocket.create verifies no certificate
    wsc, nextEvent = connected("wss://127.0.0.1:" .. TLS .. "/echo")
    check.eq(echo("over tls").a, "over tls", "wss echo")
    wsc:close()
    expectFailure("wss://127.0.0.1:" .. PORT .. "/echo", "connect", "wss to a plain server")

    -- IPv6: a literal, and use_ipv6 asking the adapter's DNS for AAAA (the name has no A record)
    wsc, nextEvent = connected("ws://[::1]:" .. V6 .. "/echo")
    check.eq(echo("v6").a, "v6", "echo over an IPv6 literal")
    wsc:close()
    local queries = {}
    local dns = dnsPeer.start(DNS, { ["v6.ws.test"] = { AAAA = { "::1" } } }, queries)
    socket.setDNS(socket.ETH0, 1, "127.0.0.1:" .. DNS)
    wsc, nextEvent = connected("ws://v6.ws.test:" .. V6 .. "/echo", nil, true)
    check.eq(echo("by name").a, "by name", "use_ipv6: the AAAA address is used")
    wsc:close()
    expectFailure("ws://v6.ws.test:" .. V6 .. "/echo", "connect", "without use_ipv6 only A is asked")
    socket.close(dns)

    for _, pid in ipairs(pids) do peers.kill(pid) end
    os.execute("rm -rf " .. dir)
    check.done(143)
end)

sys.run()
