-- luatnet options: --virtual-time
-- Waits on the virtual clock: the 10 s TLS and DTLS handshake limits against servers of this script that
-- accept and then say nothing, an hour-long sys.wait and a day-long timer. Each limit is kept on the
-- virtual clock (mcu.ticks, os.time) and the events come in the same order as in real time, while the
-- real time spent (read from the host's clock through `date`) stays far below what was waited.
local check = require "check"
local peers = require "peers"

local function realMs() return tonumber(io.popen("date +%s%3N"):read("*l")) end

local TCP_PORT, UDP_PORT = peers.freePort(), peers.freePort()

local function handshakeLimit(task, udp, port)
    local c = socket.create(nil, task)
    if udp then
        socket.config(c, nil, true, true, nil, nil, nil, "1234", "luatnet")  -- DTLS with a pre-shared key
    else
        socket.config(c, nil, false, true)
    end
    local t0, w0, r0 = mcu.ticks(), os.time(), realMs()
    socket.connect(c, "127.0.0.1", port)
    sys.wait(500)
    local state = socket.state(c)
    local msg = sys_wait(task, socket.ON_LINE, 15000)
    local waited, real = mcu.ticks() - t0, realMs() - r0
    socket.close(c)
    socket.release(c)
    return msg and msg[2], waited, os.time() - w0, real, state
end

sysplus.taskInitEx(function()
    -- silent servers: a TCP server that accepts and never answers, a UDP socket that hears and never answers
    local tcpServer = socket.create(nil, function() end)
    socket.config(tcpServer, TCP_PORT)
    check.eq(socket.listen(tcpServer), true, "silent TCP server listens")
    local udpServer = socket.create(nil, function() end)
    socket.config(udpServer, UDP_PORT, true)
    check.eq(socket.connect(udpServer, "255.255.255.255", 0), true, "silent UDP server")

    local result, waited, wall, real, state = handshakeLimit("limits", false, TCP_PORT)
    check.eq(state, 4, "state 4 while the handshake waits")
    check.eq(result, -1, "TLS to a silent server: ON_LINE -1")
    check.truthy(waited >= 9900 and waited < 10500, "after the 10 s limit on the device's clock (" .. waited .. " ms)")
    check.truthy(wall >= 9 and wall <= 11, "os.time moved with it (" .. wall .. " s)")
    check.truthy(real < 5000, "without waiting 10 s of real time (" .. real .. " ms)")

    result, waited, wall, real, state = handshakeLimit("limits", true, UDP_PORT)
    check.eq(state, 4, "DTLS: state 4 while the handshake waits")
    check.eq(result, -1, "DTLS to a silent server: ON_LINE -1 after its retransmissions")
    check.truthy(waited >= 9900 and waited < 10500, "after the 10 s limit (" .. waited .. " ms)")
    check.truthy(real < 5000, "in little real time (" .. real .. " ms)")

    -- an hour's wait, and a day-long timer that fires after a shorter one, in order
    local order = {}
    sys.timerStart(function() order[#order + 1] = "day" end, 24 * 3600 * 1000)
    sys.timerStart(function() order[#order + 1] = "minute" end, 60 * 1000)
    local t0, r0 = mcu.ticks(), realMs()
    sys.wait(3600 * 1000)
    check.truthy(mcu.ticks() - t0 >= 3600 * 1000, "sys.wait of an hour took an hour on the device's clock")
    check.eq(table.concat(order, ","), "minute", "the minute timer fired during the hour, the day timer not yet")
    sys.wait(23 * 3600 * 1000)
    check.eq(table.concat(order, ","), "minute,day", "the day timer fired after a day")
    check.truthy(realMs() - r0 < 5000, "a day in little real time (" .. (realMs() - r0) .. " ms)")

    socket.close(tcpServer); socket.release(tcpServer)
    socket.close(udpServer); socket.release(udpServer)
    check.done(15)
end, "limits")

sys.run()
