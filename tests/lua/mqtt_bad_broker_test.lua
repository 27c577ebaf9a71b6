-- The mqtt client against brokers that break the protocol (tests/peers/mqtt_fake_broker.py, one per
-- mode): a close in the middle of a packet, a 256 MB remaining length followed by megabytes of filler,
-- garbage before CONNACK, a PUBLISH at QoS 3, a second CONNACK, no CONNACK at all (conn_timeout), and a
-- refused connection. Each must end in the firmware's events, with memory bounded and no crash.
local check = require "check"
local peers = require "peers"
local mqttpeer = require "mqttpeer"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local FAKE = here .. "/../peers/mqtt_fake_broker.py"

local function rssKiB()
    return tonumber(peers.readFile("/proc/self/status"):match("VmRSS:%s*(%d+)"))
end

sys.taskInit(function()
    local pids, ports = {}, {}
    for _, mode in ipairs({ "midpacket", "huge", "garbage", "badqos", "twice", "silent" }) do
        ports[mode] = peers.freePort()
        pids[#pids + 1] = peers.spawn("exec /usr/bin/python3 " .. FAKE .. " " .. mode .. " " .. ports[mode], 60)
    end
    for _, port in pairs(ports) do check.truthy(peers.awaitTcp(port), "fake broker up on " .. port) end

    local clients = {}
    local function start(mode, port, opts)
        local client = mqtt.create(nil, "127.0.0.1", port or ports[mode], nil, opts)
        client:auth("bad-" .. mode, nil, nil, true)
        local recorder = mqttpeer.record(client)
        check.eq(client:connect(), true, mode .. ": connect starts")
        clients[mode] = { client = client, events = recorder }
        return recorder
    end

    local before = rssKiB()
    local mid = start("midpacket")
    local huge = start("huge")
    local garbage = start("garbage")
    local badqos = start("badqos")
    local twice = start("twice")
    local silent = start("silent", nil, { conn_timeout = 1 }) -- raised to the firmware's minimum, 5 s
    local refused = start("refused", peers.freePort())

    check.truthy(mid.next("disconnect", 5000), "midpacket: disconnect")
    check.eq(mid.names(), "conack,error,disconnect,close", "midpacket: conack, error, disconnect, close")
    check.eq(mid.events[2][1], "other", "midpacket: error other")

    local hugeDrop = huge.next("disconnect", 5000)
    check.eq(hugeDrop and hugeDrop[1], -1, "huge: disconnect -1 from the header alone")
    check.eq(huge.names(), "conack,disconnect,close", "huge: nothing received")
    sys.wait(500)
    check.truthy(rssKiB() - before < 16 * 1024, "huge: memory stayed bounded (" .. (rssKiB() - before) .. " KiB)")

    check.truthy(garbage.next("error", 5000), "garbage: error")
    check.eq(garbage.names(), "disconnect,close,error", "garbage: disconnect, close, error")
    check.eq(garbage.events[3][1], "connect", "garbage: error connect")
    check.eq(garbage.events[3][2], 96, "garbage: code 96 (a packet before CONNACK)")

    check.truthy(badqos.next("error", 5000), "badqos: error")
    check.eq(badqos.names(), "conack,disconnect,close,error", "badqos: conack, disconnect, close, error")
    check.eq(badqos.events[4][2], 98, "badqos: code 98")

    check.truthy(twice.next("error", 5000), "twice: error")
    check.eq(twice.names(), "conack,disconnect,close,error", "twice: conack, disconnect, close, error")
    check.eq(twice.events[4][2], 95, "twice: code 95")

    local refusedError = refused.next("error", 5000)
    check.eq(refusedError and refusedError[1], "connect", "refused: error connect")
    check.eq(refused.names(), "error,disconnect,close", "refused: error, disconnect, close")

    local startedAt = mcu.ticks()
    local timeout = silent.next("error", 8000)
    check.eq(timeout and timeout[1], "timeout", "silent: error timeout")
    check.truthy(silent.next("disconnect", 1000), "silent: disconnect after the timeout")
    check.eq(silent.names(), "error,disconnect,close", "silent: error, disconnect, close")

    for mode, entry in pairs(clients) do
        check.eq(entry.client:state(), 0, mode .. ": state 0")
        entry.client:close()
    end
    for _, pid in ipairs(pids) do peers.kill(pid) end
    check.done(40)
end)

sys.run()
