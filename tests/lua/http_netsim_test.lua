-- http.request on simulated adapters (http_netsim_test.adapters.json): opts.adapter picks the link, its
-- latency shows in the request's time, a 2 KiB send buffer still carries a large body intact, and a link
-- cut mid-download ends the request with HTTP_ERROR_CLOSE and leaves no file.
local check = require "check"
local peers = require "peers"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local PORT = peers.freePort()
local pid = peers.spawn("/usr/bin/python3 " .. here .. "/../peers/http_peer.py " .. PORT, 60)
local BASE = "http://127.0.0.1:" .. PORT
local dst = os.tmpname()

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

    peers.kill(pid)
    check.done(11)
end)

sys.run()
