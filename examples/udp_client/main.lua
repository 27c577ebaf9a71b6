-- A UDP client: sends datagrams to an echo peer and prints what comes back with the sender's address.
-- Try it with: socat UDP-RECVFROM:40001,fork EXEC:cat
PROJECT = "udp_client"
VERSION = "1.0.0"
sys = require("sys")
require("sysplus")
local libnet = require("libnet")

local TASK = "udp_client"
sysplus.taskInitEx(function()
    sys.waitUntil("IP_READY", 5000)
    local netc = socket.create(nil, TASK)
    socket.config(netc, nil, true)
    if not libnet.connect(TASK, 5000, netc, "127.0.0.1", 40001) then
        log.error(TASK, "no route to the peer")
        return
    end
    local buff = zbuff.create(1500)
    for i = 1, 5 do
        libnet.tx(TASK, 2000, netc, "datagram " .. i)
        local ok, event = libnet.wait(TASK, 2000, netc)
        if ok and event then
            buff:del()
            local _, n, ip, port = socket.rx(netc, buff)
            if n > 0 then
                log.info(TASK, "reply", buff:toStr(0, n), "from", string.format("%d.%d.%d.%d", ip:byte(2, 5)), port)
            end
        else
            log.warn(TASK, "no reply to datagram", i)
        end
    end
    socket.close(netc)
    socket.release(netc)
end, TASK)
sys.run()
