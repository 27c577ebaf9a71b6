-- A graceful close right after tx on a simulated link with 80 ms latency: the bytes still crossing the
-- link reach the peer before the FIN, and CLOSED waits for them (they were dropped once, which kept an
-- MQTT DISCONNECT from ever reaching the broker).
local check = require "check"
local peers = require "peers"

sys.taskInit(function()
    local port = peers.freePort()
    -- ncat's stdin stays open: at its EOF ncat half-closes, and a FIN from the peer during a graceful close
    -- on a simulated link still ends the close at once, dropping what is crossing the link (known, open)
    local job = peers.run("sleep 20 | ncat -lk 127.0.0.1 " .. port, 20)
    check.truthy(peers.awaitTcp(port), "ncat listening")
    local sentAt, closedAt
    local c = socket.create(socket.LWIP_GP, function(ctrl, event, param)
        if event == socket.ON_LINE and param == 0 then
            sentAt = mcu.ticks()
            socket.tx(ctrl, "last words")
            socket.discon(ctrl)
        elseif event == socket.CLOSED then
            closedAt = mcu.ticks()
            sys.publish("CLOSED", param)
        end
    end)
    socket.config(c)
    socket.connect(c, "127.0.0.1", port)
    local closed, result = sys.waitUntil("CLOSED", 5000)
    check.eq(closed and result, 0, "CLOSED(0)")
    check.truthy(sentAt and closedAt and closedAt - sentAt >= 70, "the close waited for the bytes to cross the link")
    check.eq(peers.await(job, 3000, "last words"), "last words", "the peer got the bytes sent just before the close")
    socket.release(c)
    check.done(4)
end)

sys.run()
