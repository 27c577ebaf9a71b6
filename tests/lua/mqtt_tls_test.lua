-- mqtt over TLS against mosquitto's TLS listeners, with certificates made here by openssl: ssl = true (no
-- verification), the server checked against its CA, the wrong CA refused unless verify = 0, and a
-- listener that requires a client certificate (with and without one, and with an encrypted key).
local check = require "check"
local peers = require "peers"
local mqttpeer = require "mqttpeer"

local dir = peers.shell("mktemp -d"):gsub("%s+$", "")
local function path(name) return dir .. "/" .. name end
local function openssl(args)
    assert(os.execute("cd " .. dir .. " && openssl " .. args .. " >/dev/null 2>&1"), "openssl " .. args)
end

sys.taskInit(function()
    openssl([[req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=luatnet CA"]])
    openssl([[req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem -days 2 -subj "/CN=other CA"]])
    peers.writeFile(path("san.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    openssl([[req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"]])
    openssl([[x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.cnf]])
    openssl([[req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=device"]])
    openssl([[x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2]])
    openssl([[rsa -in client.key -aes256 -traditional -passout pass:s3cret -out client_enc.key]])
    local CA, OTHER = peers.readFile(path("ca.pem")), peers.readFile(path("other.pem"))
    local CLIENT_CERT, CLIENT_KEY = peers.readFile(path("client.pem")), peers.readFile(path("client.key"))
    local CLIENT_ENC_KEY = peers.readFile(path("client_enc.key"))

    local TLS, MUTUAL = peers.freePort(), peers.freePort()
    local tlsLines = { "cafile " .. path("ca.pem"), "certfile " .. path("server.pem"), "keyfile " .. path("server.key") }
    local mutualLines = { table.unpack(tlsLines) }
    mutualLines[#mutualLines + 1] = "require_certificate true"
    local broker = mqttpeer.broker({ listeners = { { port = TLS, lines = tlsLines }, { port = MUTUAL, lines = mutualLines } } })

    -- connects one client; returns its events once it has a conack or an error
    local function attempt(what, port, ssl)
        local client = mqtt.create(nil, "127.0.0.1", port, ssl)
        check.truthy(client, what .. ": created")
        if not client then return nil end
        client:auth("tls-" .. what, nil, nil, true)
        local events = mqttpeer.record(client)
        client:connect()
        local deadline = mcu.ticks() + 8000
        while mcu.ticks() < deadline and #events.events == 0 do sys.wait(20) end
        return client, events
    end

    local client, events = attempt("ssl-true", TLS, true)
    check.eq(events and events.names(), "conack", "ssl = true connects without verifying")
    client:subscribe("tls/echo", 2)
    events.next("suback", 3000)
    client:publish("tls/echo", "over tls", 2)
    local recv = events.next("recv", 3000)
    check.eq(recv and recv[2], "over tls", "QoS 2 round trip over TLS")
    local sub = peers.run("mosquitto_sub -h 127.0.0.1 -p " .. TLS .. " --cafile " .. path("ca.pem") ..
        " -t tls/out -C 1 -W 10", 15)
    sys.wait(500)
    client:publish("tls/out", "to-mosquitto-tls", 1)
    check.eq(peers.await(sub, 10000, "to-mosquitto-tls"), "to-mosquitto-tls\n", "mosquitto_sub over TLS got it")
    client:close()

    client, events = attempt("ca", TLS, { server_cert = CA })
    check.eq(events and events.names(), "conack", "the server's CA verifies it")
    client:close()

    client, events = attempt("wrong-ca", TLS, { server_cert = OTHER })
    check.eq(events and events.names(), "error,disconnect,close", "another CA: refused")
    check.eq(events and events.events[1][1], "connect", "as error connect")
    client:close()

    client, events = attempt("wrong-ca-verify-0", TLS, { server_cert = OTHER, verify = mqtt.VERIFY_NONE })
    check.eq(events and events.names(), "conack", "verify = 0 connects whatever the CA")
    client:close()

    client, events = attempt("mutual", MUTUAL, { server_cert = CA, client_cert = CLIENT_CERT, client_key = CLIENT_KEY })
    check.eq(events and events.names(), "conack", "a client certificate where one is required")
    client:close()

    client, events = attempt("mutual-encrypted", MUTUAL,
        { server_cert = CA, client_cert = CLIENT_CERT, client_key = CLIENT_ENC_KEY, client_password = "s3cret" })
    check.eq(events and events.names(), "conack", "an encrypted client key with its password")
    client:close()

    client, events = attempt("no-client-cert", MUTUAL, { server_cert = CA })
    local names = events and events.names() or ""
    check.truthy(names:find("disconnect", 1, true) and not names:find("conack", 1, true),
        "no client certificate: refused (" .. names .. ")")
    client:close()

    check.eq(mqtt.create(nil, "127.0.0.1", TLS, { server_cert = "not a certificate" }), nil,
        "an unusable CA gives nil")

    mqttpeer.stop(broker)
    os.execute("rm -rf " .. dir)
    check.done(16)
end)

sys.run()
