-- ftp against a real FTP server on loopback (Debian's pyftpdlib, with a user and password, in a temporary
-- folder): login, the supported commands, byte-identical upload and download of a 1 MB binary file and
-- of a text file with mixed line ends, LIST, queued calls, close, a wrong password, refused calls and
-- their codes, a server that goes away, a port where nothing listens, a peer that is not an FTP server,
-- misbehaving servers (a short download, connections dropped mid-download, a reply without end) and
-- wrong argument types.
_G.sys = require("sys")
_G.sysplus = require("sysplus")
local check = require("check")
local peers = require("peers")
local host = require("luatnet.host")

-- The server's folder is a host folder; the script's files are device paths (the --fs folder), as on
-- the device, and checked on the host through luatnet.host.
local root = peers.shell("mktemp -d -t luatnet-ftp.XXXXXX"):gsub("%s+$", "")
assert(os.execute("mkdir -p " .. root .. "/server/sub"))
local serverDir, localDir = root .. "/server", "/local"
assert(io.mkdir(localDir))

-- pyftpdlib on address:port; `options` adds its own (e.g. the passive address it announces).
local function startServer(port, address, options)
    local pid = peers.spawn(string.format(
        "exec /usr/bin/python3 -m pyftpdlib -i %s -p %d -w -d %s -u luat -P 's3cret pass' %s",
        address or "127.0.0.1", port, serverDir, options or ""), 90)
    for _ = 1, 100 do
        if os.execute(string.format("bash -c 'exec 3<>/dev/tcp/%s/%d' 2>/dev/null", address or "127.0.0.1", port)) then
            return pid
        end
        sys.wait(50)
    end
    error("pyftpdlib did not start")
end

-- A device file's bytes, read by the script as a device script would.
local function readFile(path)
    local file = io.open(path, "rb")
    if not file then return nil end
    local data = file:read("a")
    file:close()
    return data
end

local function writeFile(path, data)
    local file = assert(io.open(path, "wb"))
    file:write(data)
    file:close()
end

-- 1 MB of every byte value in a scrambled order (a fixed generator, so a failure can be reproduced).
local function binaryData(size)
    local parts, state = {}, 12345
    for i = 1, size // 1024 do
        local block = {}
        for j = 1, 1024 do
            state = (state * 1103515245 + 12345) % 2147483648
            block[j] = string.char(state >> 16 & 0xFF)
        end
        parts[i] = table.concat(block)
    end
    return table.concat(parts)
end

local function startsWith(text, prefix)
    return type(text) == "string" and text:sub(1, #prefix) == prefix
end

sys.taskInit(function()
    local port = peers.freePort()
    local server = startServer(port)
    local password = "s3cret pass"

    -- Argument types: raised errors.
    check.raises("string expected", "host is required", ftp.login, nil)
    check.raises("number expected", "adapter must be a number", ftp.login, "eth", "127.0.0.1")
    check.raises("number expected", "port must be a number", ftp.login, nil, "127.0.0.1", "twenty-one")
    check.raises("port out of range", "port in range", ftp.login, nil, "127.0.0.1", 70000, "luat", password)
    check.raises("string expected", "user must be a string", ftp.login, nil, "127.0.0.1", port, {}, password)
    check.raises("string expected", "command must be a string", ftp.command, {})
    check.raises("string expected", "local name must be a string", ftp.pull, {}, "/x")

    -- Refused at once, with the firmware's codes.
    check.eq(ftp.command("NOOP").wait(), -8, "command before login")
    check.eq(ftp.pull(localDir .. "/x", "/x").wait(), -8, "pull before login")
    check.eq(ftp.push(localDir .. "/x", "/x").wait(), -4, "push before login")
    check.eq(ftp.close().wait(), -4, "close before login")
    check.eq(ftp.login(nil, "127.0.0.1", port, "", password).wait(), -21, "empty user name")
    check.eq(ftp.login(nil, "127.0.0.1", port, "luat", "").wait(), -22, "empty password")
    check.eq(ftp.login(nil, "", port, "luat", password).wait(), -20, "empty host")
    check.eq(ftp.login(nil, string.rep("h", 64), port, "luat", password).wait(), -20, "host too long")
    check.eq(ftp.login(nil, "127.0.0.1", port, "luat", password, true).wait(), -24, "no TLS, as the firmware")
    check.eq(ftp.login(99, "127.0.0.1", port, "luat", password).wait(), -1, "no such adapter")

    -- A wrong password: false, and the session is gone.
    check.eq(ftp.login(nil, "127.0.0.1", port, "luat", "wrong").wait(), false, "wrong password")
    check.eq(ftp.command("NOOP").wait(), -8, "no session after a failed login")

    -- Login and commands.
    check.eq(ftp.login(nil, "127.0.0.1", port, "luat", password).wait(), true, "login")
    check.eq(ftp.login(nil, "127.0.0.1", port, "luat", password).wait(), -1, "a second login is refused")
    check.truthy(startsWith(ftp.command("NOOP").wait(), "200 "), "NOOP")
    check.truthy(startsWith(ftp.command("SYST").wait(), "215 "), "SYST")
    check.eq(ftp.command("PWD").wait(), '257 "/" is the current directory.\r\n', "PWD gives the reply text")
    check.truthy(startsWith(ftp.command("MKD made").wait(), "257 "), "MKD")
    check.truthy(startsWith(ftp.command("CWD /sub").wait(), "250 "), "CWD")
    check.truthy(ftp.command("PWD").wait():find('"/sub"', 1, true), "PWD after CWD")
    check.truthy(startsWith(ftp.command("CWD /nowhere").wait(), "550 "), "a refused command gives its reply")
    check.truthy(startsWith(ftp.command("CDUP").wait(), "250 "), "CDUP")
    check.truthy(startsWith(ftp.command("RMD /made").wait(), "250 "), "RMD")
    check.eq(ftp.command("RETR /x").wait(), -8, "an unsupported command is refused")
    check.eq(ftp.command("NOOP\r\nDELE /x").wait(), -8, "a command with a line break is refused")

    -- Upload and download a 1 MB binary file.
    local big = binaryData(1024 * 1024)
    writeFile(localDir .. "/big.bin", big)
    local start = mcu.ticks()
    check.eq(ftp.push(localDir .. "/big.bin", "/sub/big.bin").wait(), true, "push 1 MB")
    local pushed = mcu.ticks() - start
    check.eq(peers.readFile(serverDir .. "/sub/big.bin") == big, true, "the server has the same bytes")
    writeFile(localDir .. "/back.bin", "old content that pull replaces")
    start = mcu.ticks()
    check.eq(ftp.pull(localDir .. "/back.bin", "/sub/big.bin").wait(), true, "pull 1 MB")
    local pulled = mcu.ticks() - start
    check.eq(readFile(localDir .. "/back.bin") == big, true, "the download has the same bytes")
    log.info("ftp", "1 MB push ms", pushed, "pull ms", pulled)

    -- Line ends travel unchanged (binary mode), also for an empty file.
    local text = "line one\r\nline two\nline three\r\r\n"
    writeFile(localDir .. "/text.txt", text)
    check.eq(ftp.push(localDir .. "/text.txt", "/text.txt").wait(), true, "push text")
    check.eq(peers.readFile(serverDir .. "/text.txt"), text, "text unchanged on the server")
    check.eq(ftp.pull(localDir .. "/text_back.txt", "/text.txt").wait(), true, "pull text")
    check.eq(readFile(localDir .. "/text_back.txt"), text, "text unchanged here")
    writeFile(localDir .. "/empty", "")
    check.eq(ftp.push(localDir .. "/empty", "/empty").wait(), true, "push an empty file")
    check.eq(ftp.pull(localDir .. "/empty_back", "/empty").wait(), true, "pull an empty file")
    check.eq(readFile(localDir .. "/empty_back"), "", "the empty file is empty")

    -- LIST gives the listing; DELE removes.
    local listing = ftp.command("LIST /sub").wait()
    check.truthy(type(listing) == "string" and listing:find("big.bin", 1, true), "LIST shows the upload")
    check.truthy(startsWith(ftp.command("DELE /sub/big.bin").wait(), "250 "), "DELE")
    check.eq(host.open(serverDir .. "/sub/big.bin"), nil, "the file is gone")
    check.eq(ftp.command("SIZE /text.txt").wait(), "213 " .. #text .. "\r\n", "SIZE")

    -- Failures that keep the session.
    check.eq(ftp.pull(localDir .. "/none", "/none.bin").wait(), false, "pull of a missing file fails")
    check.eq(ftp.push(localDir .. "/text.txt", "/no/such/dir/x").wait(), false, "push into a missing folder fails")
    check.truthy(startsWith(ftp.command("NOOP").wait(), "200 "), "the session goes on after failures")
    check.eq(ftp.push(localDir .. "/missing", "/x").wait(), -4, "push of a missing local file")
    check.eq(ftp.pull(localDir .. "/no/such/dir", "/text.txt").wait(), -8, "pull into a missing local folder")
    check.eq(ftp.pull("/../../outside.txt", "/text.txt").wait(), -8, "pull to a path outside the device's files")
    check.eq(ftp.push("/luadb/ftp_test.lua", "/script.lua").wait(), true, "push reads /luadb/ files")
    check.eq(peers.readFile(serverDir .. "/script.lua"), peers.readFile(debug.getinfo(1, "S").source:sub(2)),
        "the project's file arrived")
    check.eq(ftp.pull("/luadb/check.lua", "/text.txt").wait(), -8, "pull into /luadb/ (read-only) is refused")
    check.eq(peers.readFile(host.fs_root .. "/local/text_back.txt"), text, "downloads land in the --fs folder")

    -- Calls made before earlier ones finished run in order, each with its own result (taken by cb, which
    -- waits from the start: a result published while nobody waits is lost, as on the device).
    local results = {}
    for _, line in ipairs({ "CWD /sub", "PWD", "CDUP" }) do
        ftp.command(line).cb(function(reply) table.insert(results, line .. " -> " .. tostring(reply)) end)
    end
    for _ = 1, 200 do
        if #results == 3 then break end
        sys.wait(10)
    end
    check.eq(#results, 3, "three queued calls")
    check.truthy(startsWith(results[1], "CWD /sub -> 250 "), "first queued call first")
    check.truthy(startsWith(results[2], "PWD -> 257 ") and results[2]:find('"/sub"', 1, true), "second ran after the first")
    check.truthy(startsWith(results[3], "CDUP -> 250 "), "third queued call last")

    -- close: the goodbye, then no session.
    check.truthy(startsWith(ftp.close().wait(), "221 "), "close gives the goodbye")
    check.eq(ftp.command("NOOP").wait(), -8, "no session after close")

    -- The server goes away: the next call fails, then there is no session.
    check.eq(ftp.login(nil, "127.0.0.1", port, "luat", password).wait(), true, "login again")
    peers.kill(server)
    sys.wait(300)
    start = mcu.ticks()
    check.eq(ftp.command("NOOP").wait(), false, "a call after the server went away fails")
    check.eq(ftp.command("NOOP").wait(), -8, "then the session is gone")
    check.truthy(mcu.ticks() - start < 2000, "at once")

    -- Nothing listens: login fails at once.
    start = mcu.ticks()
    check.eq(ftp.login(nil, "127.0.0.1", port, "luat", password).wait(), false, "connection refused")
    check.truthy(mcu.ticks() - start < 2000, "refused at once")

    -- Passive addresses: one the firmware would not use (private or unusable, as servers behind NAT
    -- announce) is replaced by the server's own address; another loopback address is used as announced.
    -- (0.0.0.0 rather than a private address: were the replacement broken, nothing would leave the host.)
    for _, case in ipairs({ { "127.0.0.1", "-n 0.0.0.0", "an unusable passive address (0.0.0.0)" },
                            { "127.0.0.2", "", "a passive address used as announced" } }) do
        local casePort = peers.freePort()
        local pid = startServer(casePort, case[1], case[2])
        check.eq(ftp.login(nil, case[1], casePort, "luat", password).wait(), true, "login: " .. case[3])
        local list = ftp.command("LIST /").wait()
        check.truthy(type(list) == "string" and list:find("text.txt", 1, true), "LIST over " .. case[3])
        check.truthy(startsWith(ftp.close().wait(), "221 "), "close: " .. case[3])
        peers.kill(pid)
    end

    -- A peer that is not an FTP server.
    local junkPort = peers.freePort()
    local junk = peers.spawn(string.format([[exec /usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", %d)); s.listen(4)
while True:
    c, _ = s.accept(); c.sendall(b"x" * 10000); c.close()
']], junkPort), 60)
    assert(peers.awaitTcp(junkPort))
    check.eq(ftp.login(nil, "127.0.0.1", junkPort, "luat", password).wait(), false, "a peer that is not FTP")
    peers.kill(junk)

    -- Servers that misbehave (tests/lua/lib/ftp_fake.py): a short download, a server that drops both
    -- connections mid-download, a reply that never ends.
    local fake = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") .. "/lib/ftp_fake.py"
    local function startFake(kind)
        local fakePort = peers.freePort()
        local pid = peers.spawn(string.format("exec /usr/bin/python3 %s --port %d --kind %s", fake, fakePort, kind), 60)
        assert(peers.awaitTcp(fakePort))
        return pid, fakePort
    end
    local pid, fakePort = startFake("short")
    check.eq(ftp.login(nil, "127.0.0.1", fakePort, "luat", password).wait(), true, "login to the fake server")
    check.eq(ftp.pull(localDir .. "/short.bin", "/file").wait(), false, "a download shorter than SIZE fails")
    check.eq(ftp.command("SYST").wait(), "502 not here\r\n", "the session goes on after a short download")
    check.truthy(startsWith(ftp.close().wait(), "221 "), "close the fake session")
    peers.kill(pid)

    pid, fakePort = startFake("drop")
    check.eq(ftp.login(nil, "127.0.0.1", fakePort, "luat", password).wait(), true, "login to the dropping server")
    start = mcu.ticks()
    check.eq(ftp.pull(localDir .. "/dropped.bin", "/file").wait(), false, "a download cut mid-way fails")
    check.truthy(mcu.ticks() - start < 2000, "at once")
    check.eq(ftp.command("NOOP").wait(), false, "the next call fails")
    check.eq(ftp.command("NOOP").wait(), -8, "and the session is gone")
    peers.kill(pid)

    pid, fakePort = startFake("flood")
    check.eq(ftp.login(nil, "127.0.0.1", fakePort, "luat", password).wait(), true, "login to the flooding server")
    start = mcu.ticks()
    check.eq(ftp.command("NOOP").wait(), false, "a reply that never ends fails")
    check.truthy(mcu.ticks() - start < 5000, "within bounded memory and time")
    check.eq(ftp.command("NOOP").wait(), false, "the session is lost")
    peers.kill(pid)

    os.execute("rm -rf " .. root)
    check.done(89)
end)

sys.run()
