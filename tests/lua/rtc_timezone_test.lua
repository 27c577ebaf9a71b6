-- rtc.timezone: the host's zone until a script sets one; the firmware's range (-48..48 quarter hours, whole
-- hours only) and its false for anything else; os.date and os.time(table) in the zone set, rtc.get in UTC.
local check = require "check"

local now = os.time()
local hostOffset = os.time(os.date("*t", now)) - os.time(os.date("!*t", now))
check.eq(rtc.timezone(), hostOffset // 900, "the host's zone before any is set")
check.eq(rtc.timezone(32), 32, "UTC+8 set")
check.eq(rtc.timezone(), 32, "and read back")
check.eq(os.date("%Y-%m-%d %H:%M:%S", now), os.date("!%Y-%m-%d %H:%M:%S", now + 8 * 3600), "os.date in UTC+8")
check.eq(os.date("*t", now).hour, os.date("!*t", now + 8 * 3600).hour, "os.date('*t') in UTC+8")
check.eq(os.date("!%H", now), os.date("!%H", now), "'!' still gives UTC")
check.eq(os.time({ year = 2024, month = 1, day = 1, hour = 8, min = 0, sec = 0 }), 1704067200,
    "os.time(table) reads the table in UTC+8")
check.eq(rtc.get().hour, tonumber(os.date("!%H")), "rtc.get stays UTC")
check.eq(rtc.timezone(-16), -16, "UTC-4")
check.eq(os.time({ year = 2024, month = 1, day = 1, hour = 0 }), 1704067200 + 4 * 3600, "os.time in UTC-4")
check.eq(rtc.timezone(33), false, "not a whole hour")
check.eq(rtc.timezone(52), false, "beyond +12")
check.eq(rtc.timezone(-52), false, "beyond -12")
check.eq(rtc.timezone("32"), false, "a string")
check.eq(rtc.timezone(3.5), false, "a fraction")
check.eq(rtc.timezone(nil), false, "nil")
check.eq(rtc.timezone(), -16, "refusals leave the zone")
check.done(17)
