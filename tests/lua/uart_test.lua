-- uart under a device profile (uart_test.adapters.json wires UART1 to a TCP port chosen at start and UART2
-- to a pseudo-terminal): a Python peer at the other end of each wire exchanges "ping"/"pong" and 20000
-- patterned bytes that the script echoes back with uart.write and uart.tx; "receive" and "sent" callbacks,
-- uart.rx into a zbuff, uart.close dropping what comes later; unknown and unwired ids, wrong types.
local check = require "check"
local peers = require "peers"

local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$")
local BULK = 20000

-- the module's UARTs --------------------------------------------------------------------------------------
check.eq(uart.exist(1), true, "UART1 exists")
check.eq(uart.exist(3), true, "UART3 exists (not wired)")
check.eq(uart.exist(uart.VUART_0), true, "the USB virtual UART exists")
check.eq(uart.exist(9), false, "no UART9")
check.eq(uart.NONE, 0, "parity constant")
check.eq(uart.Even, 2, "parity constant (mixed case)")
check.eq(uart.MSB, 1, "bit order constant")
check.truthy(netsim.uart(1):match("^127%.0%.0%.1:%d+$"), "netsim.uart tells the TCP endpoint")
check.truthy(netsim.uart(2):match("^/dev/pts/%d+$"), "netsim.uart tells the pty's path")
check.eq(netsim.uart(3), nil, "an unwired UART has no endpoint")

-- unknown ids and bad input -------------------------------------------------------------------------------
check.eq(uart.setup(9, 115200), -1, "setup of a missing UART fails (-1)")
check.eq(uart.write(9, "x"), -1, "write to a missing UART fails (-1)")
check.eq(uart.read(9, 10), "", "read from a missing UART is empty")
check.eq(uart.on(9, "receive", function() end), "no such uart id", "on() for a missing UART")
check.eq(uart.rxSize(9), 0, "rxSize of a missing UART")
check.eq(uart.write(1, "x"), -1, "write before setup fails (-1)")
check.eq(uart.setup(3, 9600, 8, 1, uart.NONE), 0, "an unwired UART sets up")
check.eq(uart.write(3, "dropped"), 7, "an unwired UART takes the bytes (and drops them)")
check.eq(uart.read(3), "", "an unwired UART never receives")
check.raises("number expected", "setup with a non-number id", uart.setup, "one")
check.raises("string expected", "write without data", uart.write, 1)
check.raises("string expected", "write with a table", uart.write, 1, {})
check.raises("number expected", "read with a string length", uart.read, 1, "x")
check.raises("number expected", "exist without an id", uart.exist)
check.eq(uart.tx(1, "not a zbuff"), 0, "tx without a zbuff sends nothing")
check.eq(uart.write(2 ^ 40, "x"), -1, "a huge id is no UART")
check.eq(uart.wait485(1), 0, "wait485 never waits")

-- one wire: the peer's exchange, echoed by the script ------------------------------------------------------
local function exchange(id, peerArgument, useRx)
    local job = peers.run(string.format("/usr/bin/python3 %s/../peers/uart_peer.py %s %d", here, peerArgument, BULK), 40)
    local received, receiveCalls, sentCalls, echoed = {}, 0, 0, false
    local pending = 0
    check.eq(uart.setup(id, 115200, 8, 1, uart.NONE, uart.LSB, 1024), 0, "uart" .. id .. " setup")
    uart.on(id, "receive", function(rid, len)
        receiveCalls = receiveCalls + 1
        if rid ~= id or len < 1 then return end
        if useRx then
            local buff = zbuff.create(8)
            local n = uart.rx(id, buff)
            received[#received + 1] = buff:toStr(0, n)
        else
            received[#received + 1] = uart.read(id, len)
        end
        pending = pending + 1
    end)
    uart.on(id, "sent", function(sid) if sid == id then sentCalls = sentCalls + 1 end end)
    local deadline = mcu.ticks() + 30000
    local pongSent = false
    while mcu.ticks() < deadline do
        local all = table.concat(received)
        if not pongSent and all:sub(1, 4) == "ping" then
            check.eq(uart.write(id, "pong"), 4, "uart" .. id .. " write returns the length")
            pongSent = true
        end
        if pongSent and #all >= 4 + BULK and not echoed then
            local bulk = all:sub(5, 4 + BULK)
            local ok = #bulk == BULK
            for i = 1, #bulk, 997 do ok = ok and bulk:byte(i) == (i - 1) % 251 end
            check.truthy(ok, "uart" .. id .. " the bulk arrived in order")
            -- first half as a string, second half from a zbuff with uart.tx (start, length)
            local half = BULK // 2
            check.eq(uart.write(id, bulk:sub(1, half)), half, "uart" .. id .. " write of half the bulk")
            local buff = zbuff.create(BULK)
            buff:write(bulk)
            check.eq(uart.tx(id, buff, half, BULK - half), BULK - half, "uart" .. id .. " tx of the other half")
            echoed = true
        end
        if echoed then break end
        sys.wait(10)
    end
    local out = peers.await(job, 20000, "PEER BULK")
    check.truthy(out:find("PEER GOT pong", 1, true), "uart" .. id .. " peer got pong: " .. out)
    check.truthy(out:find("PEER BULK OK", 1, true), "uart" .. id .. " peer got the bulk back: " .. out)
    check.truthy(receiveCalls >= 2, "uart" .. id .. " receive callback called (" .. receiveCalls .. ")")
    -- "sent" comes through the message queue: the peer may have read the bytes before it is delivered
    local sentBy = mcu.ticks() + 2000
    while sentCalls < 3 and mcu.ticks() < sentBy do sys.wait(10) end
    check.truthy(sentCalls >= 3, "uart" .. id .. " sent callback after each write (" .. sentCalls .. ")")
    uart.close(id)
    check.eq(uart.write(id, "x"), -1, "uart" .. id .. " write after close fails")
    check.eq(uart.rxSize(id), 0, "uart" .. id .. " nothing kept after close")
end

sys.taskInit(function()
    exchange(1, "tcp:" .. netsim.uart(1), false)
    exchange(2, "pty:" .. netsim.uart(2), true)
    -- a closed UART keeps nothing of what arrives; setting it up again starts empty
    check.eq(uart.setup(2, 115200), 0, "uart2 set up again")
    check.eq(uart.rxSize(2), 0, "uart2 starts empty after close and setup")
    uart.close(2)
    check.done(50)
end)
