-- gpio under a device profile: netsim.gpio plays the outside world. An interrupt pin's function runs as
-- fn(level, pin) on its configured edge (RISING, FALLING, BOTH), once per change, through gpio.debounce's
-- two modes; counting pins; inputs read what is driven; an output refuses to be driven from outside; bad
-- input raises or returns the firmware's nothing.
local check = require "check"

local calls = {}
local function recorder(name)
    return function(level, pin) calls[#calls + 1] = string.format("%s:%d:%d", name, pin, level) end
end

local function settle() sys.wait(50) end

sys.taskInit(function()
    local key = gpio.setup(10, recorder("falling"), gpio.PULLUP, gpio.FALLING)
    check.eq(type(key), "function", "an interrupt pin returns a getter")
    check.eq(key(), 1, "pulled up at rest")
    check.eq(netsim.gpio(10, 0), true, "the outside drives the pin low")
    check.eq(gpio.get(10), 0, "gpio.get reads the driven level at once")
    settle()
    check.eq(table.concat(calls, ","), "falling:10:0", "the falling edge called fn(level, pin)")
    check.eq(netsim.gpio(10, 0), true, "the same level again")
    check.eq(netsim.gpio(10, 1), true, "back high")
    settle()
    check.eq(#calls, 1, "no call without a change, none on the rising edge of a FALLING pin")
    check.eq(key(), 1, "the getter follows the pin")

    calls = {}
    gpio.setup(11, recorder("rising"), gpio.PULLDOWN, gpio.RISING)
    netsim.gpio(11, 1)
    netsim.gpio(11, 0)
    settle()
    check.eq(table.concat(calls, ","), "rising:11:1", "a RISING pin reports the rising edge only")

    calls = {}
    gpio.setup(12, recorder("both"))
    netsim.gpio(12, 1)
    netsim.gpio(12, 0)
    settle()
    check.eq(table.concat(calls, ","), "both:12:1,both:12:0", "BOTH by default: each edge, in order")

    calls = {}
    local input = gpio.setup(13, nil)
    check.eq(input(), 0, "an input without pull reads 0")
    check.eq(netsim.gpio(13, 1), true, "an input is driven")
    check.eq(input(), 1, "and reads what is driven")
    settle()
    check.eq(#calls, 0, "an input pin calls nothing")

    local led = gpio.setup(14, 1)
    check.eq(netsim.gpio(14, 0), false, "an output cannot be driven from outside")
    check.eq(gpio.get(14), 1, "the output keeps its level")
    led(0)
    check.eq(gpio.get(14), 0, "the script drives its output")

    gpio.close(12)
    netsim.gpio(12, 1)
    settle()
    check.eq(#calls, 0, "a closed pin calls nothing")
    gpio.setup(12, recorder("again"), nil, gpio.BOTH)
    gpio.setup(12, nil)
    netsim.gpio(12, 0)
    settle()
    check.eq(#calls, 0, "setting a pin up as an input drops its interrupt function")

    -- debounce mode 0: report at once, then ignore the pin for the time given
    calls = {}
    gpio.setup(20, recorder("cool"))
    gpio.debounce(20, 300)
    netsim.gpio(20, 1)
    netsim.gpio(20, 0)
    netsim.gpio(20, 1)
    settle()
    check.eq(table.concat(calls, ","), "cool:20:1", "mode 0: one report for a burst of edges")
    sys.wait(350)
    netsim.gpio(20, 0)
    settle()
    check.eq(table.concat(calls, ","), "cool:20:1,cool:20:0", "mode 0: reports again after the cool-down")

    -- debounce mode 1: report once the level has held for the time given
    calls = {}
    gpio.setup(21, recorder("hold"), nil, gpio.RISING)
    gpio.debounce(21, 100, 1)
    netsim.gpio(21, 1)
    sys.wait(30)
    netsim.gpio(21, 0)
    sys.wait(200)
    check.eq(#calls, 0, "mode 1: a level that did not hold is not reported")
    netsim.gpio(21, 1)
    sys.wait(60)
    check.eq(#calls, 0, "mode 1: not before the time")
    sys.wait(150)
    check.eq(table.concat(calls, ","), "hold:21:1", "mode 1: the level held, reported once")

    -- counting pins, toggle, pulse
    gpio.setup(22, gpio.count)
    for level in ("1010"):gmatch(".") do netsim.gpio(22, tonumber(level)) end
    check.eq(gpio.count(22), 4, "a counting pin counts both edges by default")
    check.eq(gpio.count(22), 0, "and restarts from 0")
    check.eq(gpio.count(99), 0, "a pin never set up counted nothing")
    gpio.setup(23, 0)
    gpio.toggle(23)
    check.eq(gpio.get(23), 1, "toggle flips an output")
    gpio.toggle(23)
    check.eq(gpio.get(23), 0, "and back")
    check.eq(select("#", gpio.pulse(23, 0xA9, 8, 0)), 0, "pulse accepted")
    check.eq(gpio.HIGH_IRQ, 3, "level interrupt constants")
    check.eq(gpio.NONE, 255, "gpio.NONE")

    check.eq(select("#", gpio.setup(-1, 0)), 0, "a negative pin sets up nothing")
    check.eq(netsim.gpio(-1, 1), false, "a negative pin is not driven")
    check.raises("number expected", "netsim.gpio with a string pin", netsim.gpio, "x", 1)
    check.raises("number expected", "netsim.gpio without a level", netsim.gpio, 10)
    check.raises("number expected", "gpio.setup with a string irq", gpio.setup, 15, function() end, nil, "rising")
    check.done(38)
end)
