-- TLS and DTLS against real peers made at test time with openssl: socat's OpenSSL echo, openssl s_server
-- (client certificates, DTLS with PSK and with certificates) and openssl s_client against luatnet's own
-- TLS server. Certificates and keys are generated here, in a temporary folder.
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"

local dir = peers.shell("mktemp -d"):gsub("%s+$", "")
local function path(name) return dir .. "/" .. name end
local function read(name) return peers.readFile(path(name)) end

local function openssl(args)
    assert(os.execute("cd " .. dir .. " && openssl " .. args .. " >/dev/null 2>&1"), "openssl " .. args)
end
-- a CA, server certificates (good, expired, other host), a client CA, client certificates
openssl([[req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=luatnet CA"]])
openssl([[req -x509 -newkey rsa:2048 -nodes -keyout other_ca.key -out other_ca.pem -days 2 -subj "/CN=other CA"]])
openssl([[req -x509 -newkey rsa:2048 -nodes -keyout client_ca.key -out client_ca.pem -days 2 -subj "/CN=client CA"]])
peers.writeFile(path("san.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
peers.writeFile(path("other.cnf"), "subjectAltName=DNS:otherhost\n")
openssl([[req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"]])
openssl([[x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.cnf]])
openssl([[x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out expired.pem -days -1 -extfile san.cnf]])
openssl([[x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out otherhost.pem -days 2 -extfile other.cnf]])
openssl([[req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=device"]])
openssl([[x509 -req -in client.csr -CA client_ca.pem -CAkey client_ca.key -CAcreateserial -out client.pem -days 2]])
-- mbedTLS 2.28 reads password-protected keys in the traditional PEM form
openssl([[rsa -in client.key -aes256 -traditional -passout pass:s3cret -out client_enc.key]])

local CA, OTHER_CA = read("ca.pem"), read("other_ca.pem")
local CLIENT_CERT, CLIENT_KEY, CLIENT_ENC_KEY = read("client.pem"), read("client.key"), read("client_enc.key")
local SERVER_CERT, SERVER_KEY = read("server.pem"), read("server.key")

local pids = {}
local function socatTls(cert, extra)
    local port = peers.freePort()
    pids[#pids + 1] = peers.spawn(string.format("socat OPENSSL-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,cert=%s,key=%s,%s EXEC:cat",
        port, path(cert), path("server.key"), extra or "verify=0"), 90)
    return port
end
local ECHO = socatTls("server.pem")
local EXPIRED = socatTls("expired.pem")
local OTHERHOST = socatTls("otherhost.pem")
local MUTUAL = socatTls("server.pem", "verify=1,cafile=" .. path("client_ca.pem"))
local HANGUP = peers.freePort()
pids[#pids + 1] = peers.spawn("socat TCP-LISTEN:" .. HANGUP .. ",bind=127.0.0.1,reuseaddr,fork SYSTEM:'head -c 5 >/dev/null'", 90)
local SSERVER = peers.freePort()
pids[#pids + 1] = peers.spawn(string.format("openssl s_server -quiet -tls1_2 -accept %d -cert %s -key %s -Verify 1 -CAfile %s -rev",
    SSERVER, path("server.pem"), path("server.key"), path("client_ca.pem")), 90)
local REVERSE = peers.freePort()
pids[#pids + 1] = peers.spawn(string.format("openssl s_server -quiet -tls1_2 -accept %d -cert %s -key %s -rev",
    REVERSE, path("server.pem"), path("server.key")), 90)

local TASK = "tls"
local function connect(host, port, ...)
    local c = socket.create(nil, TASK)
    local configured = socket.config(c, nil, false, true, nil, nil, nil, ...)
    if not configured then return nil, "config" end
    local ok = libnet.connect(TASK, 15000, c, host, port)
    return c, ok
end

local function roundTrip(c, payload)
    if not libnet.tx(TASK, 10000, c, payload) then return false end
    local got, buff = {}, zbuff.create(1024)
    local size = 0
    while size < #payload do
        local ok, event = libnet.wait(TASK, 5000, c)
        if not (ok and event) then return false end
        while true do
            buff:del()
            local rxOk, n = socket.rx(c, buff)
            if not rxOk or n == 0 then break end
            got[#got + 1] = buff:toStr(0, n)
            size = size + n
        end
    end
    return table.concat(got) == payload
end

local function finish(c)
    if c then
        libnet.close(TASK, 2000, c)
        socket.release(c)
    end
end

sysplus.taskInitEx(function()
    for _, port in ipairs({ ECHO, EXPIRED, OTHERHOST, MUTUAL, HANGUP, SSERVER, REVERSE }) do
        check.truthy(peers.awaitTcp(port), "peer on port " .. port .. " is up")
    end

    -- verified connection: CA + host name; 1 byte, one 16 KiB record, 1 MiB of many records
    local c, ok = connect("localhost", ECHO, CA)
    check.eq(ok, true, "verified TLS to localhost")
    check.eq(socket.state(c), 5, "online after the handshake")
    check.eq(roundTrip(c, "x"), true, "1 byte round trip")
    check.eq(roundTrip(c, string.rep("r", 16 * 1024)), true, "16 KiB round trip")
    local big = {}
    for i = 1, 16384 do big[i] = string.format("%063d\n", i) end
    check.eq(roundTrip(c, table.concat(big)), true, "1 MiB round trip")
    finish(c)

    c, ok = connect("localhost", ECHO)
    check.eq(ok, true, "without server_cert: encrypted, not verified")
    check.eq(roundTrip(c, "plain config"), true, "data without verification")
    finish(c)

    c, ok = connect("localhost", ECHO, OTHER_CA)
    check.eq(ok, false, "wrong CA fails the connection (ON_LINE -1)")
    finish(c)
    c, ok = connect("localhost", EXPIRED, CA)
    check.eq(ok, false, "expired certificate fails")
    finish(c)
    c, ok = connect("localhost", OTHERHOST, CA)
    check.eq(ok, false, "certificate for another host name fails")
    finish(c)
    c, ok = connect("localhost", OTHERHOST)
    check.eq(ok, true, "the same certificate without verification is accepted")
    finish(c)

    -- client certificates
    c, ok = connect("localhost", MUTUAL, CA)
    check.eq(ok and roundTrip(c, "no cert"), false, "a server that requires a client certificate refuses us without one")
    finish(c)
    c, ok = connect("localhost", MUTUAL, CA, CLIENT_CERT, CLIENT_KEY)
    check.eq(ok, true, "mutual TLS with a client certificate")
    check.eq(roundTrip(c, "mutual"), true, "data over mutual TLS")
    finish(c)
    c, ok = connect("localhost", MUTUAL, CA, CLIENT_CERT, CLIENT_ENC_KEY, "s3cret")
    check.eq(ok, true, "encrypted client key with its password")
    finish(c)
    c, ok = connect("localhost", SSERVER, CA, CLIENT_CERT, CLIENT_KEY)
    check.eq(ok, true, "openssl s_server requiring a client certificate")
    libnet.tx(TASK, 3000, c, "olleh\n")
    libnet.wait(TASK, 3000, c)
    check.eq(select(2, socket.read(c)), "hello\n", "s_server -rev answered")
    finish(c)
    -- many short sessions: each reply is heard (a reply that came while the socket looked drained, after
    -- the handshake's last read, was once left in the kernel with no read wait armed)
    local answered = 0
    for _ = 1, 100 do
        c, ok = connect("127.0.0.1", REVERSE)
        if ok and libnet.tx(TASK, 3000, c, "olleh\n") and libnet.wait(TASK, 3000, c) and
            select(2, socket.read(c)) == "hello\n" then
            answered = answered + 1
        end
        finish(c)
    end
    check.eq(answered, 100, "100 short sessions with s_server -rev each got their reply")

    -- config refuses what it cannot use
    local probe = socket.create(nil, TASK)
    check.eq(socket.config(probe, nil, false, true, nil, nil, nil, "not a certificate"), false, "bad CA data")
    check.eq(socket.config(probe, nil, false, true, nil, nil, nil, CA, CLIENT_CERT, CLIENT_ENC_KEY, "wrong"), false,
        "wrong key password")
    check.eq(socket.config(probe, nil, false, true, nil, nil, nil, CA, CLIENT_CERT), false, "certificate without key")
    socket.release(probe)

    -- peers that break the handshake
    c, ok = connect("127.0.0.1", HANGUP)
    check.eq(ok, false, "peer closing mid-handshake is ON_LINE -1")
    finish(c)
    -- a silent peer and the 10 s handshake limit: virtual_time_test.lua
    sys.publish("TLS_CLIENT_DONE")
end, TASK)

-- DTLS: PSK and certificates against openssl s_server
sysplus.taskInitEx(function()
    sys.waitUntil("TLS_CLIENT_DONE", 60000)
    local function dtlsServer(args)
        local port = peers.freePort()
        local job = peers.run(string.format("(sleep 1; echo from-server; sleep 1) | openssl s_server -quiet -dtls1_2 -accept %d %s", port, args), 20)
        peers.awaitUdp(port)
        return port, job
    end
    local port, job = dtlsServer("-nocert -psk 31323334 -psk_identity luatnet")
    local c = socket.create(nil, "dtls")
    check.eq(socket.config(c, nil, true, true, nil, nil, nil, "1234", "luatnet"), true, "DTLS PSK config")
    check.eq(libnet.connect("dtls", 10000, c, "127.0.0.1", port), true, "DTLS PSK handshake")
    check.eq(libnet.tx("dtls", 3000, c, "hello-dtls\n"), true, "DTLS tx")
    local ok, event = libnet.wait("dtls", 5000, c)
    local _, data, ip, fromPort = socket.read(c)
    check.eq(data, "from-server\n", "DTLS datagram from the server")
    check.eq(fromPort, port, "with the server's port")
    finish(c)
    check.truthy(peers.await(job, 10000, "hello-dtls"):find("hello-dtls", 1, true), "the server decrypted our datagram")

    port, job = dtlsServer("-nocert -psk 31323334 -psk_identity luatnet")
    c = socket.create(nil, "dtls")
    socket.config(c, nil, true, true, nil, nil, nil, "wrong", "luatnet")
    check.eq(libnet.connect("dtls", 10000, c, "127.0.0.1", port), false, "wrong PSK fails the handshake")
    finish(c)
    peers.kill(job.pid)

    port, job = dtlsServer("-cert " .. path("server.pem") .. " -key " .. path("server.key"))
    c = socket.create(nil, "dtls")
    check.eq(socket.config(c, nil, true, true, nil, nil, nil, CA), true, "DTLS certificate config")
    check.eq(libnet.connect("dtls", 10000, c, "localhost", port), true, "DTLS with a verified certificate")
    libnet.tx("dtls", 3000, c, "cert-dtls\n")
    finish(c)
    check.truthy(peers.await(job, 10000, "cert-dtls"):find("cert-dtls", 1, true), "DTLS certificate mode carried data")
    sys.publish("DTLS_DONE")
end, "dtls")

-- luatnet's own TLS server: certificate and key through config's client_cert/client_key
sysplus.taskInitEx(function()
    sys.waitUntil("DTLS_DONE", 90000)
    local port = peers.freePort()
    local server = socket.create(nil, "tls_server")
    check.eq(socket.config(server, port, false, true, nil, nil, nil, nil, SERVER_CERT, SERVER_KEY), true,
        "server config with its certificate")
    socket.listen(server)
    local job = peers.run(string.format("(echo ping-server; sleep 2) | openssl s_client -quiet -connect 127.0.0.1:%d -CAfile %s -verify_return_error -servername localhost",
        port, path("ca.pem")), 15)
    local msg = sys_wait("tls_server", socket.ON_LINE, 10000)
    check.eq(msg and msg[2], 0, "ON_LINE 0 after the server handshake")
    local ok, event = libnet.wait("tls_server", 5000, server)
    local _, line = socket.read(server)
    check.eq(line, "ping-server\n", "plaintext from openssl s_client")
    libnet.tx("tls_server", 3000, server, "pong-server\n")
    check.truthy(peers.await(job, 10000, "pong-server"):find("pong-server", 1, true), "s_client verified us and got the reply")
    finish(server)

    -- 200 handshakes with luatnet's multi-client TLS server: each accepted ctrl shakes hands on its own
    -- and reports ON_LINE to its callback; every one succeeds and no descriptor is left behind
    local accepted, online = {}, 0
    local multi = socket.create(nil, function(ctrl, ev)
        if ev ~= socket.ON_LINE then return end
        local okAccept, client = socket.accept(ctrl, function(cl, e, p)
            if e == socket.ON_LINE and p == 0 then
                online = online + 1
                socket.wait(cl)
            elseif e == socket.ON_LINE or e == socket.EVENT and p ~= 0 then
                accepted[cl] = nil
                socket.close(cl)
                socket.release(cl)
            end
        end)
        if okAccept then accepted[client] = true end
    end)
    local multiPort = peers.freePort()
    socket.config(multi, multiPort, false, true, nil, nil, nil, nil, SERVER_CERT, SERVER_KEY)
    socket.listen(multi, 8)
    sys.wait(100)
    collectgarbage()
    local before = peers.fdCount()
    local good = 0
    local t0 = mcu.ticks()
    for _ = 1, 200 do
        local c = socket.create(nil, "tls_server")
        socket.config(c, nil, false, true, nil, nil, nil, CA)
        if libnet.connect("tls_server", 10000, c, "localhost", multiPort) then good = good + 1 end
        socket.close(c)
        socket.release(c)
    end
    log.info("tls", "200 handshakes in", mcu.ticks() - t0, "ms")
    for _ = 1, 100 do
        if next(accepted) == nil then break end
        sys.wait(20)
    end
    collectgarbage()
    check.eq(good, 200, "200 verified handshakes")
    check.eq(online, 200, "the server side of each reached ON_LINE 0")
    check.eq(next(accepted), nil, "the server closed every accepted ctrl")
    -- a released ctrl's descriptor may close on a later turn of the loop: give the last ones a moment
    local after = peers.fdCount()
    for _ = 1, 50 do
        if after <= before then break end
        sys.wait(20)
        collectgarbage()
        after = peers.fdCount()
    end
    check.truthy(after <= before, "no descriptor left after 200 handshakes (" .. before .. " before, " .. after .. " after)")
    socket.close(multi)
    socket.release(multi)
    for _, pid in ipairs(pids) do peers.kill(pid) end
    os.execute("rm -rf " .. dir)
    check.done(46)
end, "tls_server")
sys.run()
