-- A link cut under MQTT clients (netsim on LWIP_GP, mosquitto on the host): the events around the drop,
-- the will message seen by a second client and by mosquitto_sub, automatic reconnection after the
-- autoreconn delay, resubscription by the script's conack handler (the firmware does not resubscribe by
-- itself, which a client without such a handler shows), and keep-alive pings answered (pong, MQTT_PONG).
local check = require "check"
local peers = require "peers"
local mqttpeer = require "mqttpeer"

sys.taskInit(function()
    local broker = mqttpeer.broker()
    local ARGS = mqttpeer.args(broker)

    -- the watcher stays on ETH0 and sees the will
    local watcher = mqtt.create(socket.ETH0, "127.0.0.1", broker.port)
    watcher:auth("watcher", nil, nil, true)
    local watched = mqttpeer.record(watcher)
    watcher:connect()
    check.truthy(watched.next("conack", 5000), "watcher conack")
    watcher:subscribe("rc/will/#", 1)
    check.truthy(watched.next("suback", 3000), "watcher suback")

    -- resubscribes in its conack handler, as the firmware's demos do
    local device = mqtt.create(socket.LWIP_GP, "127.0.0.1", broker.port)
    device:auth("device", "", "", true)
    device:keepalive(15)
    device:autoreconn(true, 1000)
    check.eq(device:will("rc/will/device", "device-gone", 1, 0), true, "will set")
    local conacks = 0
    local events = mqttpeer.record(device, function(client, event)
        if event == "conack" then
            conacks = conacks + 1
            client:subscribe("rc/device/in", 1)
        end
    end)
    local pongs = 0
    sys.subscribe("MQTT_PONG", function(client) if client == device then pongs = pongs + 1 end end)
    -- leaves resubscribing to nobody
    local bare = mqtt.create(socket.LWIP_GP, "127.0.0.1", broker.port)
    bare:auth("bare", "", "", true)
    bare:autoreconn(true, 1000)
    local bareEvents = mqttpeer.record(bare)

    device:connect()
    bare:connect()
    check.truthy(events.next("conack", 5000), "device conack")
    check.truthy(events.next("suback", 3000), "device suback")
    check.truthy(bareEvents.next("conack", 5000), "bare conack")
    bare:subscribe("rc/bare/in", 1)
    check.truthy(bareEvents.next("suback", 3000), "bare suback")

    -- keep-alive 15 s: a PINGREQ after 3/4 of it, answered by the broker
    local pong = events.next("pong", 14000)
    check.truthy(pong, "pong after 3/4 of the keep-alive")
    sys.wait(50)
    check.eq(pongs, 1, "MQTT_PONG published with the client")

    -- the cut
    local willSub = peers.run("mosquitto_sub " .. ARGS .. " -t rc/will/device -q 1 -C 1 -W 20", 25)
    sys.wait(300)
    local cutAt = mcu.ticks()
    netsim.link(socket.LWIP_GP, false)
    local err = events.next("error", 3000)
    check.eq(err and err[1], "other", "error other on the dropped link")
    local disconnect = events.next("disconnect", 3000)
    check.eq(disconnect and disconnect[1], -1, "disconnect -1")
    check.eq(device:state(), 0, "state 0 after the drop")
    local will = watched.next("recv", 5000)
    check.eq(will and will[2], "device-gone", "the broker published the will to the watcher")
    check.eq(will and will[3].qos, 1, "at the will's QoS")
    check.eq(peers.await(willSub, 20000, "device-gone"), "device-gone\n", "mosquitto_sub saw the will")
    sys.wait(2000)
    check.eq(device:state(), mqtt.STATE_SCONNECT, "reconnecting while the link is down")
    netsim.link(socket.LWIP_GP, true)

    local again = events.next("conack", 10000)
    check.truthy(again, "conack after the link came back")
    check.truthy(mcu.ticks() - cutAt >= 2000, "not before the link was back")
    check.eq(conacks, 2, "the conack handler ran twice")
    local expected = "conack,suback,pong,error,disconnect,conack"
    check.eq(events.names():sub(1, #expected), expected, "device events in order")
    check.truthy(events.next("suback", 3000), "resubscribed by the script")
    check.truthy(bareEvents.next("conack", 10000), "bare reconnected too")
    check.eq(bareEvents.names(), "conack,suback,error,disconnect,conack", "bare events in order")

    peers.await(peers.run("mosquitto_pub " .. ARGS .. " -t rc/device/in -q 1 -m after-cut", 10), 10000)
    peers.await(peers.run("mosquitto_pub " .. ARGS .. " -t rc/bare/in -q 1 -m lost", 10), 10000)
    local recv = events.next("recv", 5000)
    check.eq(recv and recv[2], "after-cut", "the resubscribed client receives again")
    sys.wait(500)
    check.eq(bareEvents.next("recv", 10), nil, "without resubscribing, a clean session receives nothing")

    device:autoreconn(false)
    device:disconnect()
    check.truthy(events.next("close", 3000), "close once reconnecting is off")
    sys.wait(300)
    local late = watched.next("recv", 10)
    check.eq(late and late[1] .. " " .. late[2], nil, "no will after a DISCONNECT")
    device:close()
    bare:close()
    watcher:close()
    mqttpeer.stop(broker)
    check.done(27)
end)

sys.run()
