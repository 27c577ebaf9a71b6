-- luatnet options: --virtual-time
-- netsim.set at its limits: latencies and jitters beyond a day, and absurd bandwidths, are argument
-- errors (a latency of math.maxinteger ms overflowed the clock and delivered at once); the longest
-- latency allowed holds a datagram back, and a real UDP echo peer (socat) shows the link still works.
local check = require "check"
local peers = require "peers"

local DAY = 24 * 3600 * 1000
check.raises("latency", "latency math.maxinteger is refused", netsim.set, socket.ETH0, { latency = math.maxinteger })
check.raises("latency", "latency above a day is refused", netsim.set, socket.ETH0, { latency = DAY + 1 })
check.raises("jitter", "jitter math.maxinteger is refused", netsim.set, socket.ETH0, { jitter = math.maxinteger })
check.raises("bandwidth", "bandwidth math.maxinteger is refused", netsim.set, socket.ETH0, { bandwidth = math.maxinteger })
check.eq(netsim.get(socket.ETH0), nil, "a refused set changed nothing")

local port = peers.freePort()
local pid = peers.spawn("socat UDP-RECVFROM:" .. port .. ",bind=127.0.0.1,fork EXEC:cat", 30)
local replies = {}
local c = socket.create(socket.ETH0, function(ctrl, event, param)
    if event == socket.EVENT and param == 0 then
        local _, data = socket.read(ctrl)
        if data and #data > 0 then replies[#replies + 1] = data end
        socket.wait(ctrl)
    end
end)
socket.config(c, nil, true)

sys.taskInit(function()
    check.truthy(peers.awaitUdp(port), "socat UDP echo is up")
    check.eq(socket.connect(c, "127.0.0.1", port), true, "UDP connect")
    sys.wait(100)
    socket.wait(c)
    check.eq(netsim.set(socket.ETH0, { latency = 0 }), true, "simulated, without latency")
    socket.tx(c, "through")
    for _ = 1, 100 do
        if #replies > 0 then break end
        sys.wait(20)
    end
    check.eq(replies[1], "through", "the echo comes back")
    check.eq(netsim.set(socket.ETH0, { latency = DAY, jitter = DAY }), true, "a day of latency and jitter is accepted")
    socket.tx(c, "held back")
    sys.wait(500)
    check.eq(#replies, 1, "a datagram under a day of latency is not delivered early")
    peers.kill(pid)
    check.done(11)
end)
sys.run()
