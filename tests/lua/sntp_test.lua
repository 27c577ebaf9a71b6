-- socket.sntp against local NTP servers (tests/lua/lib/ntp_responder.py) on 127.0.0.x: the device's clock
-- (os.time, os.date, rtc, socket.ntptm) follows the server while the host's clock stays; servers are asked in
-- slot order with a bounded time each; silent, refusing, garbage and kiss-o'-death servers fail as the
-- firmware's would; NTP_ERROR comes when all fail; bad arguments raise or are ignored as on the device.
-- Every server slot is always set to a loopback address, so no query can leave the machine.
_G.sys = require("sys")
local check = require("check")
local peers = require("peers")

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local responder = here .. "/lib/ntp_responder.py"
local started, logs = {}, {}

-- Starts an NTP server of `kind` on address:port; returns its log file's path once it is listening.
local function startServer(address, port, kind, offset)
    local log = os.tmpname()
    table.insert(logs, log)
    table.insert(started, peers.spawn(string.format("exec /usr/bin/python3 %s --bind %s --port %d --kind %s --offset %d --log %s",
        responder, address, port, kind, offset or 0, log), 60))
    for _ = 1, 100 do
        if peers.readAll(log):find("ready", 1, true) then return log end
        sys.wait(30)
    end
    error("ntp responder did not start on " .. address)
end

-- Transmit times (Unix ms) of the requests a server got.
local function requests(log)
    local list = {}
    for stamp in peers.readAll(log):gmatch("request (%-?%d+)") do table.insert(list, tonumber(stamp)) end
    return list
end

local function hostNow()
    return tonumber((peers.shell("date +%s")))
end

local updates, errors, updateArg = 0, 0, nil
sys.subscribe("NTP_UPDATE", function(arg)
    updates = updates + 1
    updateArg = arg
end)
sys.subscribe("NTP_ERROR", function() errors = errors + 1 end)

-- Runs socket.sntp(...) and waits for its outcome: the topic, its argument and the seconds it took.
local function sync(servers, adapter)
    local start = mcu.ticks()
    local seenUpdates, seenErrors = updates, errors
    socket.sntp(servers, adapter)
    while updates == seenUpdates and errors == seenErrors and mcu.ticks() - start < 10000 do sys.wait(10) end
    local took = (mcu.ticks() - start) / 1000
    if updates ~= seenUpdates then return "NTP_UPDATE", updateArg, took end
    if errors ~= seenErrors then return "NTP_ERROR", nil, took end
    return nil, nil, took
end

sys.taskInit(function()
    -- Before any sync: the port's default and ntptm without a time.
    check.eq(socket.sntp_port(), 123, "default port")
    local tm = socket.ntptm()
    check.eq(tm.vaild, nil, "no valid time before a sync")
    check.eq(tm.ssec, 0, "no boot offset before a sync")
    check.eq(tm.tsec, tm.lsec, "before a sync the time is the uptime")
    check.near(tm.lsec * 1000 + tm.lms, mcu.ticks(), 50, "lsec/lms are the uptime")
    check.eq(tm.ndelay, 0, "no delay before a sync")

    -- Argument checks.
    check.raises("server 2 must be a string", "a table entry that is no string", socket.sntp,
        { "127.0.0.1", {}, "127.0.0.1" })
    check.raises("number expected", "adapter must be a number", socket.sntp,
        { "127.0.0.1", "127.0.0.1", "127.0.0.1" }, "eth")
    check.raises("integer representation", "adapter must be an integer", socket.sntp, nil, 1.5)
    check.raises("integer representation", "port must be an integer", socket.sntp_port, 12.5)

    local port = peers.freePort()
    check.eq(socket.sntp_port(port), port, "sntp_port sets the port")
    check.eq(socket.sntp_port(0), port, "port 0 is ignored")
    check.eq(socket.sntp_port(70000), port, "a port above 65535 is ignored")
    check.eq(socket.sntp_port("123"), port, "a string is ignored")

    -- A name too long for a slot: nothing starts, nothing is published.
    socket.sntp(string.rep("n", 31))
    sys.wait(300)
    check.eq(updates + errors, 0, "a too long server name starts no sync")

    -- 1. One good server at +3600 s.
    local good = startServer("127.0.0.1", port, "ok", 3600)
    local topic, value, took = sync({ "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.9" })
    check.eq(topic, "NTP_UPDATE", "a good server gives NTP_UPDATE")
    check.eq(value, 0, "NTP_UPDATE carries 0 (time from socket.sntp)")
    check.truthy(took < 1, "the update came at once: " .. took)
    check.near(os.time() - hostNow(), 3600, 2, "os.time follows the server")
    local t1 = os.time()
    local date = os.date("!%Y-%m-%d %H:%M:%S")
    local t2 = os.time()
    check.truthy(date == os.date("!%Y-%m-%d %H:%M:%S", t1) or date == os.date("!%Y-%m-%d %H:%M:%S", t2),
        "os.date without a time uses the device's clock: " .. date)
    check.near(os.time(os.date("*t")), os.time(), 1, "os.time(table) still converts a date")
    tm = socket.ntptm()
    check.eq(tm.vaild, true, "ntptm is valid after a sync")
    check.near(tm.tsec, os.time(), 1, "ntptm's tsec is the synced Unix time")
    check.eq((tm.ssec + tm.lsec) * 1000 + tm.sms + tm.lms, tm.tsec * 1000 + tm.tms, "tsec/tms = boot offset + uptime")
    check.truthy(tm.sms >= 0 and tm.sms < 1000 and tm.tms >= 0 and tm.tms < 1000, "millisecond fields in range")
    check.eq(tm.ndelay, 0, "the first sync measures no delay (its request carried no time)")
    local asked = requests(good)
    check.eq(#asked, 1, "one request for one sync")
    check.eq(asked[1], 0, "the first request carries no time")

    -- 2. A second sync sends the device's time and measures the delay.
    topic = sync()
    check.eq(topic, "NTP_UPDATE", "second sync (the slots are kept)")
    asked = requests(good)
    check.eq(#asked, 2, "the second sync asked the same server")
    check.near((asked[2] or 0) / 1000, hostNow() + 3600, 2, "the second request carries the device's time")
    tm = socket.ntptm()
    check.truthy(tm.ndelay >= 0 and tm.ndelay < 500, "a small network delay on loopback: " .. tostring(tm.ndelay))

    -- rtc reads and sets the same device clock, in UTC.
    local before = os.time()
    local r = rtc.get()
    local after = os.time()
    local function same(t) return os.date("!%Y%m%d%H%M%S", t) == string.format("%04d%02d%02d%02d%02d%02d", r.year, r.mon, r.day, r.hour, r.min, r.sec) end
    check.truthy(same(before) or same(after), "rtc.get is the synced UTC time")
    check.eq(rtc.set({ year = 2030, mon = 1, day = 2, hour = 3, min = 4, sec = 5 }), true, "rtc.set with a table")
    check.near(os.time(), 1893553445, 1, "os.time follows rtc.set")
    check.eq(rtc.set(1900000000), true, "rtc.set with Unix seconds")
    check.near(os.time(), 1900000000, 1, "os.time follows it")
    check.eq(rtc.set({ year = 2030, mon = 2, day = 30, hour = 0, min = 0, sec = 0 }), false, "no 30 February")
    check.eq(select("#", rtc.set({ year = 2030, mon = 2 })), 0, "a table with fields missing gives nothing")
    check.eq(rtc.set("soon"), false, "a string is refused")
    check.eq(rtc.set(0), false, "timestamp 0 is refused")
    check.near(os.time(), 1900000000, 1, "refused sets leave the clock")

    -- 3. Slot order and timeouts: a closed port, a silent server, then one that sends garbage before the
    -- answer (-7200 s). Each of the first two costs the 2 s timeout: as with lwIP on the device, an ICMP
    -- "port unreachable" does not end the wait early. A call while the sync runs does not start another.
    local silent = startServer("127.0.0.3", port, "silent")
    local late = startServer("127.0.0.4", port, "garbage-then-ok", -7200)
    local counted = updates
    local start = mcu.ticks()
    socket.sntp({ "127.0.0.2", "127.0.0.3", "127.0.0.4" })
    socket.sntp({ "127.0.0.2", "127.0.0.3", "127.0.0.4" })
    local got = sys.waitUntil("NTP_UPDATE", 8000)
    took = (mcu.ticks() - start) / 1000
    check.truthy(got, "the third server answered")
    check.truthy(took >= 3.9 and took < 5, "two servers' timeouts of 2 s: " .. took)
    check.near(os.time() - hostNow(), -7200, 2, "the clock follows the new server")
    check.eq(#requests(silent), 1, "the silent server was asked once")
    check.eq(#requests(late), 1, "the third server was asked once")
    check.eq(#requests(good), 2, "the first server was not asked")
    sys.wait(300)
    check.eq(updates - counted, 1, "one NTP_UPDATE for the two calls")

    -- 4. Every server fails: closed port, silent, garbage only. NTP_ERROR after 3 x 2 s, clock unchanged.
    local junk = startServer("127.0.0.5", port, "garbage")
    topic, value, took = sync({ "127.0.0.2", "127.0.0.3", "127.0.0.5" })
    check.eq(topic, "NTP_ERROR", "all servers failed")
    check.truthy(took >= 5.9 and took < 7.5, "three timeouts of 2 s: " .. took)
    check.near(os.time() - hostNow(), -7200, 2, "a failed sync leaves the clock")
    check.eq(#requests(junk), 1, "the garbage server was asked once")

    -- 5. A kiss-o'-death moves on at once, to every slot.
    local kod = startServer("127.0.0.6", port, "kod")
    topic, value, took = sync({ "127.0.0.6", "127.0.0.6", "127.0.0.6" })
    check.eq(topic, "NTP_ERROR", "kiss-o'-death from every server")
    check.truthy(took < 1, "kiss-o'-death is no timeout: " .. took)
    check.eq(#requests(kod), 3, "each slot asked once")
    check.near(os.time() - hostNow(), -7200, 2, "a kiss-o'-death leaves the clock")

    -- 6. An adapter that does not exist: NTP_ERROR.
    topic, value, took = sync(nil, 99)
    check.eq(topic, "NTP_ERROR", "no such adapter")
    check.truthy(took < 1, "at once")

    -- 7. Server names, resolved by the adapter's DNS server (a local one): a name that does not exist
    -- fails at once and the next slot's name is asked.
    local dnsPort = peers.freePort()
    local dnsLog = os.tmpname()
    table.insert(logs, dnsLog)
    table.insert(started, peers.spawn(string.format("exec /usr/bin/python3 %s/lib/dns_responder.py --port %d --log %s time.luatnet.test=127.0.0.1",
        here, dnsPort, dnsLog), 60))
    for _ = 1, 100 do
        if peers.readAll(dnsLog):find("ready", 1, true) then break end
        sys.wait(30)
    end
    check.eq(socket.setDNS(socket.dft(), 1, "127.0.0.1:" .. dnsPort), true, "the adapter asks the local DNS server")
    local askedBefore = #requests(good)
    topic, value, took = sync({ "missing.luatnet.test", "time.luatnet.test", "127.0.0.9" })
    check.eq(topic, "NTP_UPDATE", "a server given by name")
    check.truthy(took < 1.5, "the missing name failed at once: " .. took)
    check.eq(#requests(good), askedBefore + 1, "the named server was asked")
    check.near(os.time() - hostNow(), 3600, 2, "its time was taken")
    local dnsQueries = peers.readAll(dnsLog)
    check.truthy(dnsQueries:find("query missing.luatnet.test", 1, true) and dnsQueries:find("query time.luatnet.test", 1, true),
        "both names were looked up")

    for _, pid in ipairs(started) do peers.kill(pid) end
    for _, log in ipairs(logs) do os.remove(log) end
    check.done(65)
end)

sys.run()
