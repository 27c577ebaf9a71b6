-- TLS peer verification against real openssl s_server peers with certificates made here by openssl:
-- an IP literal is checked against the certificate's IP addresses (subjectAltName), names as before;
-- verification is required when a CA or a client certificate is configured (so a client certificate
-- without a CA refuses a self-signed server); empty certificate data makes socket.config answer false.
local check = require "check"
local libnet = require "libnet"
local peers = require "peers"

local dir = peers.shell("mktemp -d"):gsub("%s+$", "")
local function path(name) return dir .. "/" .. name end
local function openssl(args)
    assert(os.execute("cd " .. dir .. " && openssl " .. args .. " >/dev/null 2>&1"), "openssl " .. args)
end
local function write(name, text) peers.writeFile(path(name), text) end

openssl([[req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=verify CA"]])
write("name.cnf", "subjectAltName=DNS:localhost\n")
write("ip.cnf", "subjectAltName=DNS:example.test,IP:127.0.0.1\n")
write("otherip.cnf", "subjectAltName=IP:127.0.0.2,IP:::1\n")
openssl([[req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=127.0.0.1"]])
for _, kind in ipairs({ "name", "ip", "otherip" }) do
    openssl(string.format("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out %s.pem -days 2 -extfile %s.cnf",
        kind, kind))
end
-- no subjectAltName: the CN 127.0.0.1 counts, as the firmware's mbedTLS matches the literal as a name
openssl("x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cn.pem -days 2")
openssl([[req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 2 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"]])
openssl([[req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=device"]])
openssl([[x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2]])
local CA, CLIENT_CERT, CLIENT_KEY = peers.readFile(path("ca.pem")), peers.readFile(path("client.pem")),
    peers.readFile(path("client.key"))

local pids = {}
local function sServer(cert, key)
    local port = peers.freePort()
    pids[#pids + 1] = peers.spawn(string.format("openssl s_server -quiet -rev -accept %d -cert %s -key %s",
        port, path(cert), path(key or "server.key")), 60)
    return port
end
local NAME, IP, OTHER_IP, SELF = sServer("name.pem"), sServer("ip.pem"), sServer("otherip.pem"), sServer("self.pem", "self.key")
local CN = sServer("cn.pem")

local TASK = "verify"
local function connect(host, port, ...)
    local c = socket.create(nil, TASK)
    if not socket.config(c, nil, false, true, nil, nil, nil, ...) then
        socket.release(c)
        return "config refused"
    end
    local ok = libnet.connect(TASK, 10000, c, host, port)
    if ok then
        -- s_server -rev answers each line reversed: the session really carries data
        libnet.tx(TASK, 3000, c, "olleh\n")
        libnet.wait(TASK, 3000, c)
        local _, data = socket.read(c)
        ok = data == "hello\n"
    end
    libnet.close(TASK, 2000, c)
    socket.release(c)
    return ok
end

sysplus.taskInitEx(function()
    for _, port in ipairs({ NAME, IP, OTHER_IP, SELF, CN }) do
        check.truthy(peers.awaitTcp(port), "s_server on " .. port .. " is up")
    end
    -- IP literals against the certificate's IP addresses
    check.eq(connect("localhost", NAME, CA), true, "a name in the certificate is accepted")
    check.eq(connect("127.0.0.1", NAME, CA), false, "a CA-signed certificate without IP 127.0.0.1 is refused for 127.0.0.1")
    check.eq(connect("127.0.0.1", IP, CA), true, "a certificate with IP SAN 127.0.0.1 is accepted for 127.0.0.1")
    check.eq(connect("127.1", IP, CA), true, "the short form 127.1 is the same address")
    check.eq(connect("127.0.0.1", OTHER_IP, CA), false, "IP SANs 127.0.0.2 and ::1 do not cover 127.0.0.1")
    check.eq(connect("::1", OTHER_IP, CA), true, "IP SAN ::1 is accepted for ::1")
    check.eq(connect("::1", IP, CA), false, "IP SAN 127.0.0.1 does not cover ::1")
    check.eq(connect("127.0.0.1", NAME), true, "without a CA nothing is verified (encryption only)")
    check.eq(connect("127.0.0.1", CN, CA), true, "CN 127.0.0.1 without subjectAltNames is accepted, as on the firmware")

    -- a client certificate makes verification required, as when a CA is given
    check.eq(connect("127.0.0.1", SELF), true, "a self-signed server without CA or client certificate")
    check.eq(connect("127.0.0.1", SELF, nil, CLIENT_CERT, CLIENT_KEY), false,
        "with a client certificate and no CA, a self-signed server is refused")
    check.eq(connect("127.0.0.1", IP, CA, CLIENT_CERT, CLIENT_KEY), true, "client certificate and CA: verified")

    -- empty certificate data is refused by config instead of silently turning verification off
    check.eq(connect("127.0.0.1", IP, ""), "config refused", "an empty CA string")
    check.eq(connect("127.0.0.1", IP, CA, "", CLIENT_KEY), "config refused", "an empty client certificate")
    check.eq(connect("127.0.0.1", IP, CA, CLIENT_CERT, ""), "config refused", "an empty client key")
    check.eq(connect("127.0.0.1", IP, nil, "", ""), "config refused", "empty client certificate and key")

    for _, pid in ipairs(pids) do peers.kill(pid) end
    os.execute("rm -rf " .. dir)
    check.done(21)
end, TASK)
sys.run()
