-- luatnet options: --virtual-time
-- http.request on simulated adapters (http_netsim_test.adapters.json): opts.adapter picks the link, its
-- latency shows in the request's time, a 2 KiB send buffer still carries a large body intact, and a link
-- cut mid-download ends the request with HTTP_ERROR_CLOSE and leaves no file; the adapter's DNS servers
-- resolve names, and opts.ipv6 picks a name's AAAA address.
local check = require "check"
local peers = require "peers"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local PORT = peers.freePort()
local V6_PORT, DNS_PORT = peers.freePort(), peers.freePort()
local pids = {
    peers.spawn("/usr/bin/python3 " .. here .. "/../peers/http_peer.py " .. PORT, 60),
    peers.spawn("/usr/bin/python3 " .. here .. "/../peers/http_peer.py " .. V6_PORT .. " --host ::1", 60),
    peers.spawn("/usr/bin/python3 " .. here .. "/../peers/dns_peer.py " .. DNS_PORT, 60),
}
local BASE = "http://127.0.0.1:" .. PORT
local dst = "/drip.bin"  -- a device path

sys.taskInit(function()
    check.truthy(peers.awaitTcp(PORT), "http peer is up")
    local started = mcu.ticks()
    check.eq(http.request("GET", BASE .. "/hello").wait(), 200, "default adapter (ETH0, not simulated)")
    local direct = mcu.ticks() - started

    started = mcu.ticks()
    local code, _, body = http.request("GET", BASE .. "/hello", nil, nil, { adapter = socket.LWIP_GP }).wait()
    local slow = mcu.ticks() - started
    check.eq(code, 200, "over LWIP_GP: status")
    check.eq(body, "hello world", "over LWIP_GP: body")
    -- the request and its response: one round trip, 2 x 100 ms
    check.truthy(slow >= 190 and direct < 150, "LWIP_GP's latency applies (" .. slow .. " ms vs " .. direct .. " ms)")

    local big = string.rep("abcdefghijklmnop", 16 * 1024) -- 256 KiB through a 2 KiB send buffer
    code, _, body = http.request("POST", BASE .. "/echo", nil, big, { adapter = socket.LWIP_GP }).wait()
    check.eq(code, 200, "256 KiB POST through a small send buffer: status")
    check.eq(body and body:sub(-#big), big, "256 KiB POST through a small send buffer: every byte in order")

    local progressed = 0
    sys.timerStart(netsim.link, 600, socket.LWIP_STA, false)
    started = mcu.ticks()
    local result = { http.request("GET", BASE .. "/drip", nil, nil, { adapter = socket.LWIP_STA, dst = dst,
        callback = function(_, received) progressed = received end }).wait() }
    check.eq(result[1], -5, "link cut mid-download: HTTP_ERROR_CLOSE")
    check.eq(#result, 1, "link cut: the code alone")
    check.truthy(progressed > 0 and progressed < 6000, "link cut: part of the body had come (" .. progressed .. ")")
    check.truthy(mcu.ticks() - started < 2500, "link cut: the request ended with the link, not the body")
    check.eq(io.exists(dst), false, "link cut: the partial download is removed")
    netsim.link(socket.LWIP_STA, true)

    -- names through the adapter's DNS: A by default, AAAA with opts.ipv6 (only ::1 serves V6_PORT)
    check.truthy(peers.awaitUdp(DNS_PORT), "dns peer is up")
    check.eq(socket.setDNS(socket.LWIP_STA, 1, "127.0.0.1:" .. DNS_PORT), true, "setDNS on LWIP_STA")
    local byName = "http://dual.luatnet.test:" .. V6_PORT .. "/echo"
    code, _, body = http.request("GET", byName, nil, nil, { adapter = socket.LWIP_STA, ipv6 = true }).wait()
    check.eq(code, 200, "ipv6 = true: the name's AAAA address is used")
    check.truthy(body and body:find("\r\nHost: dual.luatnet.test:" .. V6_PORT .. "\r\n", 1, true), "Host is the name")
    check.eq(http.request("GET", byName, nil, nil, { adapter = socket.LWIP_STA, timeout = 3000 }).wait(), -4,
        "without ipv6 the A address is used (nothing listens there)")
    check.eq(http.request("GET", "http://nowhere.luatnet.test/x", nil, nil, { adapter = socket.LWIP_STA, timeout = 3000 }).wait(),
        -4, "a name that does not resolve: HTTP_ERROR_CONNECT")

    for _, pid in ipairs(pids) do peers.kill(pid) end
    check.done(16)
end)

sys.run()
