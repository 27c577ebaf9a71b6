-- dns_peer: a DNS server written on luatnet itself (a UDP server ctrl) for tests that need names: it
-- answers A and AAAA questions from a table and NXDOMAIN for other names, and notes every question.
local dnsPeer = {}

local ANSWERS, QUERIES

local function readName(packet, at)
    local labels = {}
    while true do
        local length = packet:byte(at)
        if length == 0 then return table.concat(labels, "."), at + 1 end
        labels[#labels + 1] = packet:sub(at + 1, at + length)
        at = at + 1 + length
    end
end

local function ipBytes(text)
    if text:find(":", 1, true) then
        -- only "::1" is needed here
        return string.rep("\0", 15) .. "\1"
    end
    local a, b, c, d = text:match("(%d+)%.(%d+)%.(%d+)%.(%d+)")
    return string.char(tonumber(a), tonumber(b), tonumber(c), tonumber(d))
end

local function answer(query)
    local id = query:sub(1, 2)
    local name, after = readName(query, 13)
    local qtype = string.unpack(">I2", query, after)
    local question = query:sub(13, after + 3)
    QUERIES[#QUERIES + 1] = name .. "/" .. qtype
    local entry = ANSWERS[name]
    local kind = qtype == 28 and "AAAA" or "A"
    local records = entry and entry[kind] or {}
    local flags = entry and 0x8180 or 0x8183 -- NXDOMAIN for unknown names
    local out = { id, string.pack(">I2I2I2I2I2", flags, 1, #records, 0, 0), question }
    for _, ip in ipairs(records) do
        local rdata = ipBytes(ip)
        out[#out + 1] = string.pack(">I2I2I2I4I2", 0xC00C, qtype, 1, 60, #rdata) .. rdata
    end
    return table.concat(out)
end

-- Serves `answers` ({[name] = {A = {...}, AAAA = {...}}}) on 127.0.0.1:port; each question is appended to
-- `queries` as "name/qtype". Returns the server ctrl (socket.close it when done).
function dnsPeer.start(port, answers, queries)
    ANSWERS, QUERIES = answers, queries
    local dns = socket.create(nil, function(ctrl, event, param)
        if event ~= socket.EVENT or param ~= 0 then return end
        while true do
            local ok, query, ip, fromPort = socket.read(ctrl)
            if not ok or #query == 0 then break end
            socket.tx(ctrl, answer(query), string.format("%d.%d.%d.%d", ip:byte(2, 5)), fromPort)
        end
        socket.wait(ctrl)
    end)
    socket.config(dns, port, true)
    socket.listen(dns)
    return dns
end

return dnsPeer
