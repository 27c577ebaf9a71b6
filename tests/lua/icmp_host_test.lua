-- icmp without a device profile: ETH0 on the host pings for real through an unprivileged ICMP datagram
-- socket (only 127.0.0.1 here); where the kernel refuses those sockets (net.ipv4.ping_group_range), ping
-- returns nothing, as the firmware does when it cannot set up its ICMP context.
local check = require "check"
local peers = require "peers"

local allowed = peers.pingSocketsAllowed()

check.eq(icmp.setup(socket.ETH0), true, "setup on the host's adapter")
check.eq(icmp.setup(socket.LWIP_GP), false, "no 4G without a profile")
check.eq(icmp.ping(socket.LWIP_GP, "127.0.0.1"), nil, "ping from an adapter that does not exist: nothing")
check.eq(icmp.ping(socket.ETH0, "localhost"), nil, "names are not resolved: nothing")

sys.taskInit(function()
    if allowed then
        local count = 0
        sys.subscribe("PING_RESULT", function() count = count + 1 end)
        check.eq(icmp.ping(socket.ETH0, "127.0.0.1", 56), 1, "ping returns 1")
        local ok, id, ms, ip, ttl = sys.waitUntil("PING_RESULT", 2000)
        check.truthy(ok, "the loopback answers")
        check.eq(id, socket.ETH0, "from ETH0")
        check.eq(ip, "127.0.0.1", "its address")
        check.eq(ttl, 64, "the kernel's TTL")
        check.truthy(type(ms) == "number" and ms >= 0 and ms < 100, "a loopback round trip: " .. tostring(ms))
        check.eq(icmp.ping(socket.ETH0, "127.1", 0), 1, "a short form, no payload")
        ok, id, ms, ip = sys.waitUntil("PING_RESULT", 2000)
        check.eq(ip, "127.0.0.1", "answered, shown in full")
        sys.wait(200)
        check.eq(count, 2, "one result per ping")
        check.done(13)
    else
        log.info("icmp_host_test", "this host refuses ICMP datagram sockets: checking the failure path")
        check.eq(icmp.ping(socket.ETH0, "127.0.0.1"), nil, "refused by the kernel: nothing")
        check.eq(sys.waitUntil("PING_RESULT", 300), false, "and no answer")
        check.done(6)
    end
end)
sys.run()
