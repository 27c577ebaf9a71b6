-- libnet: blocking helpers over the asynchronous socket API, with the public interface that
-- LuatOS projects ship as libnet.lua (waitLink, connect, listen, tx, wait, close). Written for luatnet;
-- `require "libnet"` finds it when the project brings no libnet.lua of its own (a project's copy wins).
local libnet = {}
-- sysplus.waitMsg that gives the message's first parameter instead of a new table per message.
local awaitParam = require("luatnet.host").await_param

-- Runs an asynchronous call; when its result comes later, waits for `event` in the task's mailbox.
-- Returns true when it completed with param 0.
local function settle(taskName, timeout, event, ok, done)
    if not ok then return false end
    if done then return true end
    local got, param = awaitParam(taskName, event, timeout)
    return got and param == 0
end

function libnet.waitLink(taskName, timeout, ...)
    return settle(taskName, timeout, socket.LINK, socket.linkup(...))
end

function libnet.connect(taskName, timeout, ...)
    return settle(taskName, timeout, socket.ON_LINE, socket.connect(...))
end

function libnet.listen(taskName, timeout, ...)
    return settle(taskName, timeout, socket.ON_LINE, socket.listen(...))
end

-- Returns ok, full: full means the data was not taken and must be sent again later.
function libnet.tx(taskName, timeout, ...)
    local ok, full, done = socket.tx(...)
    if not ok then return false, full end
    if full then return true, true end
    return settle(taskName, timeout, socket.TX_OK, ok, done), false
end

-- Returns ok, gotEvent: false, false on a network failure; true, false on timeout.
function libnet.wait(taskName, timeout, netc)
    local ok, ready = socket.wait(netc)
    if not ok then return false, false end
    if ready then return true, true end
    local got, param = awaitParam(taskName, socket.EVENT, timeout)
    if not got then return true, false end
    if param == 0 then return true, true end
    return false, false
end

function libnet.close(taskName, timeout, netc)
    local ok, done = socket.discon(netc)
    if ok and not done then awaitParam(taskName, socket.CLOSED, timeout) end
    socket.close(netc)
end

return libnet
