-- Memory stays bounded against peers that push or refuse data: a TLS peer sending far more than a script
-- reads (decrypted read-ahead is limited, TCP's window holds the peer back) or reads in small slices,
-- peers that never read while scripts keep sending (tx reports full), and a peer that reads slowly.
local check = require "check"
local peers = require "peers"

local function rssKiB()
    return tonumber(peers.shell("awk '/VmRSS/ {print $2}' /proc/$PPID/status"))
end

local dir = peers.shell("mktemp -d"):gsub("%s+$", "")
assert(os.execute("cd " .. dir .. " && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem " ..
    "-days 1 -subj /CN=localhost >/dev/null 2>&1"), "a certificate")

sys.taskInit(function()
    -- 1. A TLS peer sends 200 MB; the script does not read for a while.
    local port = peers.freePort()
    local flood = peers.spawn(string.format(
        "socat OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,cert=%s/cert.pem,key=%s/key.pem,verify=0 " ..
        "SYSTEM:'head -c 200000000 /dev/zero'", port, dir, dir), 60)
    check.truthy(peers.awaitTcp(port), "TLS flood peer up")
    -- awaitTcp's probe took the listener's one connection: start it again for the ctrl
    peers.kill(flood)
    sys.wait(200)
    flood = peers.spawn(string.format(
        "socat OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,cert=%s/cert.pem,key=%s/key.pem,verify=0 " ..
        "SYSTEM:'head -c 200000000 /dev/zero'", port, dir, dir), 60)
    sys.wait(500)
    local tls = socket.create(nil, function(_, event, param)
        if event == socket.ON_LINE then sys.publish("TLS_ONLINE", param) end
    end)
    socket.config(tls, nil, nil, true)
    socket.connect(tls, "127.0.0.1", port)
    local _, online = sys.waitUntil("TLS_ONLINE", 5000)
    check.eq(online, 0, "TLS ctrl online")
    local before = rssKiB()
    sys.wait(3000)
    local grown = rssKiB() - before
    check.truthy(grown < 10 * 1024, "unread TLS data held within bounds (grew " .. grown .. " KiB)")
    -- and reading still gets every byte in order, as far as the script cares to read
    local buff = zbuff.create(64 * 1024)
    local total = 0
    local deadline = mcu.ticks() + 10000
    while total < 20 * 1024 * 1024 and mcu.ticks() < deadline do
        buff:del()
        local ok, n = socket.rx(tls, buff)
        if not ok then break end
        total = total + n
        if n == 0 then sys.wait(5) end
    end
    check.truthy(total >= 20 * 1024 * 1024, "reading resumes: 20 MB read (" .. total .. ")")
    -- reading in 1 KiB slices, so that decrypted data is not all taken at once: what was read is let go
    before = rssKiB()
    local sliced = 0
    deadline = mcu.ticks() + 20000
    while sliced < 16 * 1024 * 1024 and mcu.ticks() < deadline do
        buff:del()
        local ok, n = socket.rx(tls, buff, nil, 1024)
        if not ok then break end
        sliced = sliced + n
        if n == 0 then sys.wait(5) end
    end
    check.truthy(sliced >= 16 * 1024 * 1024, "16 MB read in 1 KiB slices (" .. sliced .. ")")
    grown = rssKiB() - before
    check.truthy(grown < 10 * 1024, "slices read are let go (grew " .. grown .. " KiB)")
    socket.close(tls)
    socket.release(tls)
    peers.kill(flood)

    -- 2. Peers that never read; the script sends whenever tx takes its data.
    port = peers.freePort()
    local sink = peers.spawn(string.format("socat TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork SYSTEM:'sleep 30'", port), 60)
    check.truthy(peers.awaitTcp(port), "non-reading peer up")
    local chunk = string.rep("x", 64 * 1024)
    local ctrls = {}
    for i = 1, 20 do
        ctrls[i] = socket.create(nil, function() end)
        socket.config(ctrls[i])
        socket.connect(ctrls[i], "127.0.0.1", port)
    end
    sys.wait(500)
    before = rssKiB()
    local refused = 0
    deadline = mcu.ticks() + 3000
    while mcu.ticks() < deadline do
        for _, c in ipairs(ctrls) do
            local ok, full = socket.tx(c, chunk)
            if ok and full then refused = refused + 1 end
        end
        sys.wait(10)
    end
    grown = rssKiB() - before
    check.truthy(refused > 0, "tx reports full to a peer that never reads")
    check.truthy(grown < 20 * 1024, "unsent data held within bounds for 20 ctrls (grew " .. grown .. " KiB)")
    for _, c in ipairs(ctrls) do socket.close(c) socket.release(c) end
    peers.kill(sink)

    -- 3. A peer that reads, slowly, while the script keeps the send queue topped up: what the kernel
    -- took must not stay queued behind what it has not.
    port = peers.freePort()
    local slow = peers.spawn(string.format("/usr/bin/python3 -c 'import socket, time\n" ..
        "server = socket.create_server((\"127.0.0.1\", %d))\n" ..
        "while True:\n" ..
        "    peer, _ = server.accept()\n" ..
        "    while peer.recv(65536): time.sleep(0.01)\n'", port), 60)
    check.truthy(peers.awaitTcp(port), "slow reader up")
    local steady = socket.create(nil, function() end)
    socket.config(steady)
    socket.connect(steady, "127.0.0.1", port)
    sys.wait(300)
    before = rssKiB()
    local sent = 0
    deadline = mcu.ticks() + 6000
    while mcu.ticks() < deadline do
        local ok, full = socket.tx(steady, chunk)
        if not ok then break end
        if full then sys.wait(1) else sent = sent + #chunk end
    end
    grown = rssKiB() - before
    check.truthy(sent > 20 * 1024 * 1024, "the slow reader took more than 20 MB (" .. sent .. ")")
    check.truthy(grown < 10 * 1024, "sent data is let go while the queue stays topped up (grew " .. grown .. " KiB)")
    socket.close(steady)
    socket.release(steady)
    peers.kill(slow)
    os.execute("rm -rf " .. dir)
    check.done(12)
end)
sys.run()
