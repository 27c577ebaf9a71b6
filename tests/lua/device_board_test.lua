-- The board modules of a device profile (run with --device air8101 in a child, as the test's own process
-- has no profile): hmeta, gpio pins read back what was driven, spi/pm/wdt/airlink accepted with the
-- firmware's returns (spi and airlink logged once, sleep requests each time), bad arguments raise.
local check = require "check"
local peers = require "peers"

local script = os.tmpname() .. ".lua"
peers.writeFile(script, [[
    local results = {}
    local function put(...) local t = table.pack(...); for i = 1, t.n do results[#results + 1] = tostring(t[i]) end end
    put(hmeta.model(), hmeta.chip(), hmeta.hwver(), rtos.bsp())
    local led = gpio.setup(27, 1)
    put(gpio.get(27))
    led(0)
    put(gpio.get(27))
    gpio.set(27, 1)
    put(gpio.get(27))
    local key = gpio.setup(5, nil, gpio.PULLUP)
    put(key(), gpio.setup(6, nil, gpio.PULLDOWN)())
    gpio.close(27)
    put(gpio.get(27))
    put(spi.setup(1, nil, 0, 0, 8, 25600000))
    put(pm.request(pm.LIGHT), pm.request(pm.DEEP), pm.power(pm.WORK_MODE, 1), pm.dtimerStart(0, 60000))
    put(wdt.init(9000), wdt.feed())
    put(select("#", airlink.init()), airlink.config(airlink.CONF_SPI_ID, 0), select("#", airlink.start(airlink.MODE_SPI_MASTER)))
    local function raises(f, ...)
        local ok, err = pcall(f, ...)
        return not ok and tostring(err):find("number expected", 1, true) ~= nil
    end
    put(raises(gpio.setup, "x"), raises(pm.request, "deep"), raises(spi.setup), raises(gpio.set, 1))
    print("CHILD " .. table.concat(results, ","))
    print("CHILD DONE")
]])
sysplus.taskInitEx(function()
    local job = peers.run(string.format("%s --timeout 10 --device air8101 %s", os.getenv("LUATNET_BIN"), script), 20)
    local out = peers.await(job, 20000, "CHILD DONE")
    os.execute("rm -f " .. script)
    local line = out:match("CHILD ([^\n]*)") or ""
    local fields = {}
    for field in (line .. ","):gmatch("([^,]*),") do fields[#fields + 1] = field end
    check.eq(table.concat(fields, ",", 1, 4), "Air8101,BK7258,A10,Air8101", "hmeta and rtos.bsp from the profile")
    check.eq(table.concat(fields, ",", 5, 7), "1,0,1", "an output pin reads back what was driven")
    check.eq(table.concat(fields, ",", 8, 9), "1,0", "inputs read their pull")
    check.eq(fields[10], "0", "a closed pin reads 0")
    check.eq(fields[11], "0", "spi.setup opens (0)")
    check.eq(table.concat(fields, ",", 12, 15), "true,true,true,true", "pm calls accepted")
    check.eq(table.concat(fields, ",", 16, 17), "true,true", "wdt accepted")
    check.eq(table.concat(fields, ",", 18, 20), "0,true,0", "airlink init/start return nothing, config true")
    check.eq(table.concat(fields, ",", 21, 24), "true,true,true,true", "wrong argument types raise 'number expected'")
    local _, logged = out:gsub("the simulated links are not changed", "")
    check.eq(logged, 3, "each sleep request logged: the air8101 profile's sleep leaves the links alone")
    check.done(10)
end, "board")
