-- The mqtt module against a real mosquitto broker with a password file: refused and accepted logins, QoS
-- 0/1/2 in both directions (with mosquitto_sub / mosquitto_pub as the other client), retained messages,
-- subscribe with a table, unsubscribe, disconnect/connect/close, a packet over rxSize, and wrong arguments.
local check = require "check"
local peers = require "peers"
local mqttpeer = require "mqttpeer"

local broker, AUTH

local function newClient(id, opts)
    local client = mqtt.create(nil, "127.0.0.1", broker.port, nil, opts)
    check.truthy(client, "mqtt.create " .. id)
    check.eq(client:auth(id, "device", "s3cret"), true, "auth " .. id)
    return client, mqttpeer.record(client)
end

sys.taskInit(function()
    broker = mqttpeer.broker({ users = { device = "s3cret" } })
    AUTH = mqttpeer.args(broker, "device", "s3cret")
    -- constants and wrong arguments ---------------------------------------------------------------------
    check.eq(mqtt.STATE_DISCONNECT, 0, "STATE_DISCONNECT")
    check.eq(mqtt.STATE_SCONNECT, 1, "STATE_SCONNECT")
    check.eq(mqtt.STATE_MQTT, 2, "STATE_MQTT")
    check.eq(mqtt.STATE_READY, 3, "STATE_READY")
    check.raises("bad argument #3", "port of the wrong type", mqtt.create, nil, "127.0.0.1", "port")
    check.raises("bad argument #3", "port out of range", mqtt.create, nil, "127.0.0.1", 70000)
    check.raises("bad argument #2", "host of the wrong type", mqtt.create, nil, {}, 1883)
    check.raises("bad argument #4", "ssl of the wrong type", mqtt.create, nil, "127.0.0.1", 1883, "yes")
    check.raises("bad argument #5", "opts of the wrong type", mqtt.create, nil, "127.0.0.1", 1883, nil, "x")
    check.eq(mqtt.create(nil, 0x0100007f, broker.port), nil, "a numeric host gives nil, as the firmware")
    check.eq(mqtt.create(200, "127.0.0.1", broker.port), nil, "no such adapter")
    check.eq(mqtt.create(nil, "ws://127.0.0.1/mqtt", broker.port), nil, "MQTT over WebSocket is not supported")
    check.eq(mqtt.create(nil, string.rep("h", 200), broker.port), nil, "host too long")
    check.raises("mqtt client expected", "a method on something else", mqtt.publish, {}, "t", "x")
    check.raises("mqtt client expected", "a method with no self", mqtt.state)

    -- a wrong password: CONNACK 5, reported as the firmware orders it ------------------------------------
    local bad = mqtt.create(nil, "127.0.0.1", broker.port)
    check.eq(bad:auth("bad", "device", "wrong"), true, "auth with a wrong password")
    check.eq(bad:auth(string.rep("i", 192)), nil, "client id too long")
    local badEvents = mqttpeer.record(bad)
    check.eq(bad:publish("t", "x"), nil, "publish before connect gives nil")
    check.eq(bad:subscribe("t"), nil, "subscribe before connect gives nil")
    check.eq(bad:connect(), true, "connect starts")
    check.eq(bad:state(), mqtt.STATE_SCONNECT, "state while the socket connects")
    check.eq(bad:connect(), false, "connect while connecting")
    local refused = badEvents.next("error", 5000)
    check.eq(badEvents.names(), "disconnect,close,error", "refused login: disconnect, close, error")
    check.eq(refused and refused[1], "conack", "error kind conack")
    check.eq(refused and refused[2], 5, "CONNACK code 5 (not authorised)")
    check.eq(badEvents.events[1][1], 5, "disconnect carries the CONNACK code")
    check.eq(bad:state(), 0, "state after a refused login")
    bad:close()

    -- QoS 0/1/2 with a table subscription ------------------------------------------------------------------
    local a, ev = newClient("luatnet-a", { rxSize = 64 * 1024 })
    check.eq(a:connect(), true, "connect a")
    check.truthy(ev.next("conack", 5000), "conack a")
    check.eq(a:ready(), true, "ready after conack")
    check.eq(a:state(), mqtt.STATE_READY, "state READY")
    local lastId = a:subscribe({ ["lt/q0"] = 0, ["lt/q1"] = 1, ["lt/q2"] = 2 })
    check.truthy(math.type(lastId) == "integer" and lastId > 0, "subscribe with a table returns a message id")
    local granted = {}
    for _ = 1, 3 do
        local suback = ev.next("suback", 5000)
        check.eq(suback and suback[1], true, "suback ok")
        if suback then granted[#granted + 1] = suback[2] end
    end
    table.sort(granted)
    check.eq(table.concat(granted, ","), "0,1,2", "granted QoS of the three subscriptions")

    check.eq(a:publish("lt/q0", "zero"), 0, "QoS 0 publish returns 0")
    local sent0 = ev.next("sent", 3000)
    check.eq(sent0 and sent0[1], 0, "QoS 0 sent at once with id 0")
    local id1 = a:publish("lt/q1", "one", 1)
    check.eq(id1, lastId + 1, "message ids count on from the subscriptions")
    local sent1 = ev.next("sent", 3000)
    check.eq(sent1 and sent1[1], id1, "QoS 1 sent after PUBACK")
    local id2 = a:publish("lt/q2", "two", 2)
    local sent2 = ev.next("sent", 3000)
    check.eq(sent2 and sent2[1], id2, "QoS 2 sent after PUBCOMP")
    local seen = {}
    for _ = 1, 3 do
        local recv = ev.next("recv", 3000)
        if recv then seen[recv[1]] = recv end
    end
    check.eq(seen["lt/q0"] and seen["lt/q0"][2], "zero", "own QoS 0 message back")
    check.eq(seen["lt/q1"] and seen["lt/q1"][3].qos, 1, "own QoS 1 message back at QoS 1")
    check.truthy(seen["lt/q1"] and seen["lt/q1"][3].message_id > 0, "QoS 1 message id")
    check.eq(seen["lt/q2"] and seen["lt/q2"][3].qos, 2, "own QoS 2 message back at QoS 2")
    check.eq(seen["lt/q2"] and seen["lt/q2"][3].retain, 0, "retain flag 0")
    check.eq(seen["lt/q2"] and seen["lt/q2"][3].dup, 0, "dup flag 0")

    -- mosquitto_pub -> luatnet at QoS 2 and 1, binary and large payloads
    peers.await(peers.run("mosquitto_pub " .. AUTH .. " -t lt/q2 -q 2 -m from-mosquitto", 10), 10000)
    local recv = ev.next("recv", 5000)
    check.eq(recv and recv[2], "from-mosquitto", "QoS 2 message from mosquitto_pub")
    check.eq(recv and recv[3].qos, 2, "at QoS 2")
    local big = string.rep("0123456789abcdef", 2048) -- 32 KiB
    check.truthy(a:publish("lt/q1", big, 1), "publish 32 KiB")
    recv = ev.next("recv", 5000)
    check.eq(recv and #recv[2], #big, "32 KiB back in one piece")
    check.eq(recv and recv[2] == big, true, "32 KiB unchanged")
    local binary = "\0\1\2\255\0"
    local buff = zbuff.create(16)
    buff:write(binary)
    check.truthy(a:publish("lt/q1", buff, 1), "publish a zbuff")
    recv = ev.next("recv", 5000)
    check.eq(recv and recv[2], binary, "zbuff payload with zero bytes")

    -- luatnet -> mosquitto_sub, and a retained message seen by a later subscriber
    local sub = peers.run("mosquitto_sub " .. AUTH .. " -t lt/out -q 1 -C 1 -W 10", 15)
    sys.wait(500)
    a:publish("lt/out", "to-mosquitto", 1)
    check.eq(peers.await(sub, 10000, "to-mosquitto"), "to-mosquitto\n", "mosquitto_sub got the QoS 1 message")
    a:publish("lt/retained", "kept", 1, 1)
    check.truthy(ev.next("sent", 3000), "retained publish acknowledged")
    local later = peers.run("mosquitto_sub " .. AUTH .. " -t lt/retained -C 1 -W 5 -v", 10)
    check.eq(peers.await(later, 8000, "kept"), "lt/retained kept\n", "a later mosquitto_sub gets the retained message")
    a:subscribe("lt/retained", 1)
    ev.next("suback", 3000)
    recv = ev.next("recv", 3000)
    check.eq(recv and recv[3].retain, 1, "retain flag set on a retained message")

    -- unsubscribe: a string, then a table; mosquitto_pub to the topics no longer arrives
    check.truthy(a:unsubscribe("lt/q0"), "unsubscribe a string")
    check.truthy(ev.next("unsuback", 3000), "unsuback")
    check.truthy(a:unsubscribe({ "lt/q1", "lt/q2" }), "unsubscribe a table")
    check.truthy(ev.next("unsuback", 3000), "first unsuback")
    check.truthy(ev.next("unsuback", 3000), "second unsuback")
    peers.await(peers.run("mosquitto_pub " .. AUTH .. " -t lt/q1 -q 1 -m gone", 10), 10000)
    peers.await(peers.run("mosquitto_pub " .. AUTH .. " -t lt/retained -q 1 -m still", 10), 10000)
    recv = ev.next("recv", 3000)
    check.eq(recv and recv[1], "lt/retained", "only the topic still subscribed arrives")
    check.eq(recv and recv[2], "still", "its payload")

    -- wrong argument types on a live client
    check.raises("bad argument #4", "publish qos 3", a.publish, a, "t", "x", 3)
    check.raises("bad argument #2", "publish without a topic", a.publish, a, nil, "x")
    check.raises("bad argument #2", "subscribe a boolean", a.subscribe, a, true)
    check.raises("bad argument #2", "subscribe an array", a.subscribe, a, { "a", "b" })
    check.raises("bad argument #2", "unsubscribe a list of numbers", a.unsubscribe, a, { 1 })
    check.raises("bad argument #2", "will without topic", a.will, a, nil, "x")
    check.raises("bad argument #2", "keepalive", a.keepalive, a, "x")
    check.eq(a:subscribe({}), 0, "an empty table subscribes nothing and gives 0")

    -- disconnect: DISCONNECT, then the link drops; connect again; close ends it all
    check.eq(a:disconnect(), true, "disconnect")
    check.eq(a:state(), 0, "state after disconnect")
    check.truthy(ev.next("disconnect", 3000), "disconnect event")
    check.truthy(ev.next("close", 3000), "close event without autoreconn")
    check.eq(a:connect(), true, "connect again")
    check.truthy(ev.next("conack", 5000), "conack again")
    -- with autoreconn on, disconnect() is followed by a reconnect after the delay, as on the device
    a:autoreconn(true, 1000)
    local droppedAt = mcu.ticks()
    a:disconnect()
    check.truthy(ev.next("disconnect", 3000), "disconnect with autoreconn on")
    check.truthy(ev.next("conack", 5000), "reconnected by itself")
    check.truthy(mcu.ticks() - droppedAt >= 1000, "after the autoreconn delay")
    check.eq(ev.next("close", 10), nil, "no close event while reconnecting is on")
    local count = #ev.events
    a:close()
    check.eq(a:ready(), false, "not ready after close")
    check.eq(a:connect(), false, "no connect after close")
    check.eq(a:publish("lt/x", "x"), nil, "no publish after close")
    sys.wait(300)
    check.eq(#ev.events, count, "no events after close")

    -- rxSize bounds a packet: one over it drops the link
    local small, smallEvents = newClient("luatnet-small", { rxSize = 1024 })
    small:connect()
    check.truthy(smallEvents.next("conack", 5000), "conack small")
    small:subscribe("lt/big")
    smallEvents.next("suback", 3000)
    peers.await(peers.run("mosquitto_pub " .. AUTH .. " -t lt/big -m " .. string.rep("b", 4000), 10), 10000)
    local dropped = smallEvents.next("disconnect", 5000)
    check.eq(dropped and dropped[1], -1, "a packet over rxSize drops the link")
    check.eq(smallEvents.names(), "conack,suback,disconnect,close", "and nothing was received")
    small:close()

    mqttpeer.stop(broker)
    check.done(94)
end)

sys.run()
