-- http.request against real loopback peers: a Python HTTP server (tests/peers/http_peer.py) with sized,
-- chunked and close-delimited bodies, a 10 MB download, request echo, and broken answers (stalls, closes
-- mid-body, garbage, oversized heads, bad chunks); the same server over TLS with certificates made here.
local check = require "check"
local peers = require "peers"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local PEER = here .. "/../peers/http_peer.py"
local dir = peers.shell("mktemp -d"):gsub("%s+$", "")
local function path(name) return dir .. "/" .. name end

local function openssl(args)
    assert(os.execute("cd " .. dir .. " && openssl " .. args .. " >/dev/null 2>&1"), "openssl " .. args)
end
openssl([[req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=luatnet CA"]])
openssl([[req -x509 -newkey rsa:2048 -nodes -keyout other_ca.key -out other_ca.pem -days 2 -subj "/CN=other CA"]])
peers.writeFile(path("san.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
openssl([[req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=localhost"]])
openssl([[x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.cnf]])
local CA, OTHER_CA = peers.readFile(path("ca.pem")), peers.readFile(path("other_ca.pem"))

local PORT, TLS_PORT, V6_PORT = peers.freePort(), peers.freePort(), peers.freePort()
local pids = {
    peers.spawn("/usr/bin/python3 " .. PEER .. " " .. PORT, 90),
    peers.spawn(string.format("/usr/bin/python3 %s %d --tls %s %s", PEER, TLS_PORT, path("server.pem"), path("server.key")), 90),
    peers.spawn("/usr/bin/python3 " .. PEER .. " " .. V6_PORT .. " --host ::1", 90),
}
local BASE = "http://127.0.0.1:" .. PORT

local function sha256File(name)
    return (peers.shell("sha256sum " .. name):match("^(%x+)") or ""):lower()
end

local function get(route, ...)
    return http.request("GET", BASE .. route, ...).wait()
end

-- Runs fn in a task and returns once it finished (so slow cases can run side by side).
local function parallel(fns)
    local left = #fns
    for _, fn in ipairs(fns) do
        sys.taskInit(function() fn(); left = left - 1; if left == 0 then sys.publish("PARALLEL_DONE") end end)
    end
    if left > 0 then sys.waitUntil("PARALLEL_DONE", 50000) end
end

check.raises("inside a task", "wait() outside a task is an error", function()
    http.request("GET", BASE .. "/hello").wait()
end)

sys.taskInit(function()
    check.truthy(peers.awaitTcp(PORT), "http peer is up")
    check.truthy(peers.awaitTcp(TLS_PORT), "https peer is up")
    for _ = 1, 100 do
        if peers.shell("ss -Hltn 'sport = :" .. V6_PORT .. "'"):find("::1", 1, true) then break end
        sys.wait(50)
    end

    -- a sized body, headers by name
    local code, headers, body = get("/hello")
    check.eq(code, 200, "GET: status")
    check.eq(body, "hello world", "GET: body")
    check.eq(type(headers) == "table" and headers["Content-Type"], "text/plain", "GET: header by its sent name")
    check.eq(headers["Content-Length"], "11", "GET: Content-Length header")

    -- the request as the server saw it: the firmware's request line and default headers
    code, headers, body = get("/echo?x=1&y=2", { ["X-Test"] = "yes", ["Content-Length"] = "999" })
    check.eq(code, 200, "echo: status")
    check.truthy(body:find("^GET /echo%?x=1&y=2 HTTP/1%.1\r\n"), "echo: request line with the query")
    check.truthy(body:find("\r\nConnection: Close\r\n", 1, true), "echo: Connection: Close by default")
    check.truthy(body:find("\r\nHost: 127.0.0.1:" .. PORT .. "\r\n", 1, true), "echo: Host with the port")
    check.truthy(body:find("\r\nX-Test: yes\r\n", 1, true), "echo: the script's header")
    check.eq(body:find("Content-Length", 1, true), nil, "echo: no body, no Content-Length (the script's is ignored)")

    -- bodies out: a string, a zbuff (POST: the result is the response's length, as on the firmware)
    code, headers, body = http.request("POST", BASE .. "/echo", { ["Content-Type"] = "application/x-www-form-urlencoded" }, "abc=123").wait()
    check.eq(code, 200, "POST string: status")
    check.truthy(body:find("\r\nContent-Length: 7\r\n", 1, true), "POST string: Content-Length")
    check.eq(body:sub(-9), "\r\nabc=123", "POST string: body as sent")
    local out = zbuff.create(64)
    out:write("zb\0\1\2uff")
    code, headers, body = http.request("POST", BASE .. "/echo", nil, out).wait()
    check.eq(code, 200, "POST zbuff: status")
    check.eq(math.type(body), "integer", "POST zbuff: the result is a length")
    check.eq(body, tonumber(headers["Content-Length"]), "POST zbuff: the length of the response body")
    check.eq(headers["X-Body-Sha256"], crypto.sha256("zb\0\1\2uff"):lower(), "POST zbuff: the server got its used bytes")
    local big = string.rep("0123456789abcdef", 64 * 1024) -- 1 MiB out
    code, headers, body = http.request("PUT", BASE .. "/echo", nil, big).wait()
    check.eq(code, 200, "PUT 1 MiB: status")
    check.eq(body:sub(-#big), big, "PUT 1 MiB: the server got every byte in order")
    code, headers, body = http.request("POST", BASE .. "/echo", nil, "").wait()
    check.truthy(body:find("\r\nContent-Length: 0\r\n", 1, true), "an empty string body still says Content-Length: 0")
    -- a zbuff with GET receives the response body (appended at its cursor)
    local into = zbuff.create(4)
    into:write("<<")
    code, headers, body = http.request("GET", BASE .. "/hello", nil, into).wait()
    check.eq(code, 200, "GET into zbuff: status")
    check.eq(body, 11, "GET into zbuff: the result is the body's length")
    check.eq(into:used(), 13, "GET into zbuff: the cursor moved past the body")
    check.eq(into:toStr(0, into:used()), "<<hello world", "GET into zbuff: the body follows what was there")

    -- the script's Host and Connection replace the defaults; user:password@ becomes Basic authorization
    code, headers, body = get("/echo", { Host = "example.test", Connection = "keep-alive" })
    check.truthy(body:find("\r\nHost: example.test\r\n", 1, true) and not body:find("127.0.0.1", 1, true), "custom Host replaces the default")
    check.truthy(body:find("\r\nConnection: keep-alive\r\n", 1, true) and not body:find("Close", 1, true), "custom Connection replaces Close")
    code, headers, body = http.request("DELETE", "http://user:pa55@127.0.0.1:" .. PORT .. "/echo").wait()
    check.truthy(body:find("^DELETE /echo HTTP/1%.1\r\n"), "DELETE request line")
    check.truthy(body:find("\r\nAuthorization: Basic dXNlcjpwYTU1\r\n", 1, true), "URL credentials as Basic authorization")

    -- an IPv6 literal: the Host header keeps its brackets
    code, headers, body = http.request("GET", "http://[::1]:" .. V6_PORT .. "/echo").wait()
    check.eq(code, 200, "IPv6 literal: status")
    check.truthy(body and body:find("\r\nHost: [::1]:" .. V6_PORT .. "\r\n", 1, true), "IPv6 literal: Host in brackets")

    -- bodies in: chunked, up to the close, headers in detail, statuses, no redirects followed
    code, headers, body = get("/chunked")
    check.eq(code, 200, "chunked: status")
    check.eq(body, "first,second," .. string.rep("x", 5000) .. ",last", "chunked: body joined")
    code, headers, body = get("/until-close")
    check.eq(body, "part one,part two,part three", "body without length: read up to the close")
    code, headers, body = get("/headers")
    check.eq(headers["Set-Cookie"], "b=2", "repeated header: the last one")
    check.eq(headers["X-Spaced"], "a b  c", "inner spaces kept")
    check.eq(headers["X-Empty"], "", "empty header value")
    check.eq(body, "ok", "headers: body")
    code, headers, body = get("/status?code=404")
    check.eq(code, 404, "404 status")
    check.eq(body, "status body 404", "404 body")
    code, headers, body = get("/status?code=302")
    check.eq(code, 302, "a redirect is returned, not followed (as the firmware)")
    check.eq(headers.Location, "/hello", "redirect Location header")
    code, headers, body = get("/nocontent")
    check.eq(code, 204, "204 status")
    check.eq(body, "", "204 empty body")
    code, headers, body = get("/big-head")
    check.eq(code, 200, "a 7 KB head fits the receive buffer")
    check.eq(body, "body", "a 7 KB head: body")

    -- a large body in memory, and the .cb form
    code, headers, body = get("/big?size=1000000")
    check.eq(#body, 1000000, "1 MB body in memory")
    check.eq(crypto.sha256(body):lower(), headers["X-Sha256"], "1 MB body: checksum")
    local viaCb
    http.request("GET", BASE .. "/hello").cb(function(...) viaCb = { ... } end)
    sys.wait(1000)
    check.eq(viaCb and viaCb[1], 200, ".cb(fn) gets the status")
    check.eq(viaCb and viaCb[3], "hello world", ".cb(fn) gets the body")

    -- a 10 MB download to a file, with progress callbacks and their userdata
    local calls, last, ordered, sawUserdata = 0, nil, true, true
    local function progress(total, received, userdata)
        calls = calls + 1
        if last and received < last[2] then ordered = false end
        if userdata ~= "tag" then sawUserdata = false end
        last = { total, received }
    end
    local size = 10 * 1024 * 1024
    -- dst is a device path: the file lands in the --fs folder, where the host checks its bytes
    code, headers, body = http.request("GET", BASE .. "/big?size=" .. size, nil, nil,
        { dst = "/download.bin", callback = progress, userdata = "tag", timeout = 30000 }).wait()
    check.eq(code, 200, "download: status")
    check.eq(body, size, "download: the result is the file's size")
    check.eq(io.fileSize("/download.bin"), size, "download: file size")
    check.eq(sha256File(require("luatnet.host").fs_root .. "/download.bin"), headers["X-Sha256"], "download: checksum")
    check.truthy(calls > 2 and ordered and sawUserdata, "download: progress callbacks in order with the userdata")
    check.eq(last and last[1], size, "download: callback total is the Content-Length")
    check.eq(last and last[2], size, "download: last callback has every byte")
    code = http.request("GET", BASE .. "/status?code=404", nil, nil, { dst = "/missing.bin" }).wait()
    check.eq(code, 404, "download of a 404: status")
    check.eq(io.exists("/missing.bin"), false, "download of a 404: no file left")
    local results = { http.request("GET", BASE .. "/hello", nil, nil, { dst = "/no/such/dir/file" }).wait() }
    check.eq(results[1], -7, "download into a missing folder: HTTP_ERROR_DOWNLOAD")
    check.eq(#results, 1, "an error gives the code alone")

    -- HTTPS: verified with the right CA, refused with another, encrypted without one
    local TLS = "https://localhost:" .. TLS_PORT
    code, headers, body = http.request("GET", TLS .. "/hello", nil, nil, nil, CA).wait()
    check.eq(code, 200, "https with the CA: status")
    check.eq(body, "hello world", "https with the CA: body")
    code, headers, body = http.request("POST", TLS .. "/echo", nil, "secret", { timeout = 10000 }, CA).wait()
    check.eq(body and body:sub(-6), "secret", "https POST body")
    check.eq(http.request("GET", TLS .. "/hello", nil, nil, nil, OTHER_CA).wait(), -4, "https with a wrong CA: HTTP_ERROR_CONNECT")
    check.eq(http.request("GET", TLS .. "/hello").wait(), 200, "https without a CA: not verified, works")
    check.eq(http.request("GET", TLS .. "/hello", nil, nil, nil, "not a certificate").wait(), -4, "https with an unusable CA: -4")
    check.eq(http.request("GET", "http://localhost:" .. TLS_PORT .. "/hello", nil, nil, { timeout = 3000 }).wait() < 0, true,
        "plain http to a TLS port fails")

    -- broken peers, side by side: each ends with the firmware's error code, none waits for the timeout
    local started = mcu.ticks()
    local got = {}
    parallel({
        function() got.stall = get("/stall", nil, nil, { timeout = 1500 }) end,
        function() got.stallBody = get("/stall-body", nil, nil, { timeout = 1500, dst = "/stalled.bin" }) end,
        function() got.closeMid = get("/close-mid") end,
        function() got.closeMidChunked = get("/close-mid-chunked") end,
        function() got.closeEarly = get("/close-early") end,
        function() got.garbage = get("/garbage") end,
        function() got.badChunk = get("/bad-chunk") end,
        function() got.hugeHead = get("/huge-head") end,
    })
    local elapsed = mcu.ticks() - started
    check.eq(got.stall, -8, "a server that never answers: HTTP_ERROR_TIMEOUT")
    check.eq(got.stallBody, -8, "a body that stops: HTTP_ERROR_TIMEOUT")
    check.eq(io.exists("/stalled.bin"), false, "a timed-out download leaves no file")
    check.eq(got.closeMid, -5, "closed mid-body (Content-Length): HTTP_ERROR_CLOSE")
    check.eq(got.closeMidChunked, -5, "closed mid-body (chunked): HTTP_ERROR_CLOSE")
    check.eq(got.closeEarly, -5, "closed before any answer: HTTP_ERROR_CLOSE")
    check.eq(got.garbage, -2, "garbage instead of a status line: HTTP_ERROR_HEADER")
    check.eq(got.badChunk, -3, "bad chunk framing: HTTP_ERROR_BODY")
    check.eq(got.hugeHead, -6, "a head over the 8 KiB receive buffer: HTTP_ERROR_RX")
    check.truthy(elapsed < 5000, "broken peers answered without waiting out the default timeout (" .. elapsed .. " ms)")

    -- nothing listening
    local closed = peers.freePort()
    check.eq(http.request("GET", "http://127.0.0.1:" .. closed .. "/x").wait(), -4, "connection refused: HTTP_ERROR_CONNECT")

    -- refused at once: URLs and methods the firmware does not take (the wait object answers -4)
    for _, url in ipairs({ "ftp://127.0.0.1/x", "HTTP://127.0.0.1/x", "http://a.b", "http://", "http:///abcdef",
        "http://127.0.0.1:99999/x", "http://127.0.0.1:8o/x", "http://127.0.0.1/a b", "http://127.0.0.1/a\r\nX: y",
        "http://[::1/x", "http://" .. string.rep("h", 300) .. "/x", "" }) do
        results = { http.request("GET", url).wait() }
        check.truthy(results[1] == -4 and #results == 1, "malformed URL refused with -4: " .. url:sub(1, 40))
    end
    for _, method in ipairs({ "HEAD", "get", "OPTIONS", "TOOLONGMETHOD" }) do
        check.eq(http.request(method, BASE .. "/hello").wait(), -4, "method refused: " .. method)
    end
    check.eq(http.request(nil, BASE .. "/hello").wait(), 200, "method nil means GET")
    check.eq(http.request("GET", BASE .. "/hello", nil, nil, { adapter = 99 }).wait(), -4, "unknown adapter: -4")

    -- wrong argument types raise, as luaL_check* does on the device
    check.raises("bad argument #2", "url missing", http.request, "GET")
    check.raises("bad argument #2", "url a table", http.request, "GET", {})
    check.raises("bad argument #1", "method a table", http.request, {}, BASE)
    check.raises("bad argument #4", "body a foreign userdata", http.request, "POST", BASE .. "/echo", nil, io.stdout)
    check.raises("number has no integer representation", "fractional timeout", http.request, "GET", BASE, nil, nil, { timeout = 1.5 })
    local savedMaker = _G.sys_cw
    _G.sys_cw = nil
    check.raises("needs sys", "without sys loaded: a clear error", http.request, "GET", BASE .. "/hello")
    _G.sys_cw = savedMaker
    -- and odd but harmless values are ignored as on the device
    code, headers, body = http.request("GET", BASE .. "/echo", { [1] = "x", X = {}, Y = 2 }, true, { timeout = "x", dst = 5 }).wait()
    check.eq(code, 200, "odd headers/body/options ignored")
    check.truthy(body:find("\r\n1: x\r\n", 1, true) and body:find("\r\nY: 2\r\n", 1, true), "number keys and values become text")

    -- many at once
    local ok = 0
    local fns = {}
    for i = 1, 30 do
        fns[i] = function()
            local c, _, b = get("/hello")
            if c == 200 and b == "hello world" then ok = ok + 1 end
        end
    end
    parallel(fns)
    check.eq(ok, 30, "30 requests at once all succeed")

    for _, pid in ipairs(pids) do peers.kill(pid) end
    os.execute("rm -rf " .. dir)
    check.done(100)
end)

sys.run()
