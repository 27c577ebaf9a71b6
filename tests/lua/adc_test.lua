-- adc under a device profile (adc_test.adapters.json sets ADC0, adds channel 5, removes ADC1): values come
-- from the profile and the file, netsim.adc changes them while the script runs, an unopened or missing
-- channel gives the firmware's failures (get -1, read 0xFF alone, open false).
local check = require "check"

check.eq(adc.CH_CPU, -1, "CH_CPU is the firmware's -1")
check.eq(adc.CH_VBAT, -2, "CH_VBAT is the firmware's -2")
check.eq(adc.open(adc.CH_VBAT), true, "VBAT opens")
check.eq(adc.get(adc.CH_VBAT), 3800, "VBAT from the profile (mV)")
check.eq(table.concat({ adc.read(adc.CH_VBAT) }, ","), "3800,3800", "read gives raw and value")
check.eq(adc.open(adc.CH_CPU), true, "the CPU temperature opens")
check.eq(adc.get(adc.CH_CPU), 35000, "35 degC in thousandths")
check.eq(adc.open(0), true, "ADC0 opens")
check.eq(adc.get(0), 1234, "ADC0's value from the adapters file")
check.eq(adc.open(5), true, "a channel the file added")
check.eq(adc.get(5), 42, "its value")
check.eq(adc.open(1), false, "a channel the file removed")
check.eq(adc.open(7), false, "a channel the module lacks")
check.eq(adc.get(7), -1, "get of a missing channel: -1")
check.eq(table.concat({ adc.read(7) }, ","), "255", "read of a missing channel: 0xFF alone")

check.eq(netsim.adc(adc.CH_VBAT, 3300), true, "netsim.adc changes a channel")
check.eq(adc.get(adc.CH_VBAT), 3300, "the script reads the new value")
check.eq(netsim.adc(7, 1), false, "netsim.adc of a missing channel")
adc.close(adc.CH_VBAT)
check.eq(adc.get(adc.CH_VBAT), -1, "a closed channel reads -1")
check.eq(adc.open(adc.CH_VBAT), true, "opened again")
check.eq(adc.get(adc.CH_VBAT), 3300, "keeps the value netsim set")
check.eq(select("#", adc.setRange(adc.ADC_RANGE_MAX)), 0, "setRange accepted, returns nothing")
check.eq(adc.get(2 ^ 40), -1, "a huge channel id is no channel")

check.raises("number expected", "adc.open with a string", adc.open, "vbat")
check.raises("number expected", "adc.get without a channel", adc.get)
check.raises("number expected", "netsim.adc with a string value", netsim.adc, 0, "high")
check.done(26)
