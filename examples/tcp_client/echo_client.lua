-- echo_client: a TCP client task as LuatOS projects write one with libnet: wait for the network, connect,
-- send lines, wait for the answers, close; reconnect after a failure until `rounds` lines went through.
local libnet = require "libnet"

local echo_client = {}

function echo_client.start(name, host, port, rounds)
    sysplus.taskInitEx(function()
        local netc = socket.create(nil, name)
        socket.config(netc, nil, nil, nil, 60, 10, 3)
        local buff = zbuff.create(256)
        local sent, echoed = 0, 0
        while sent < rounds do
            if libnet.waitLink(name, 0, netc) and libnet.connect(name, 5000, netc, host, port) then
                log.info(name, "connected to", host, port)
                while sent < rounds do
                    local line = string.format("%s line %d", name, sent + 1)
                    if not libnet.tx(name, 5000, netc, line) then break end
                    sent = sent + 1
                    local ok, event = libnet.wait(name, 5000, netc)
                    if not ok then break end
                    buff:del()
                    local rxOk, n = socket.rx(netc, buff)
                    if rxOk and buff:toStr(0, n) == line then echoed = echoed + 1 end
                end
            else
                log.warn(name, "connect failed, retrying")
                sys.wait(1000)
            end
            libnet.close(name, 2000, netc)
        end
        socket.release(netc)
        log.info(name, "done", "sent", sent, "echoed", echoed)
        sys.publish("ECHO_CLIENT_DONE", name, sent, echoed)
    end, name)
end

return echo_client
