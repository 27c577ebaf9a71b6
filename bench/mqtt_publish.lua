-- bench/mqtt_rate.sh's luatnet publisher: N messages of SIZE bytes at QoS on topic "bench" to the broker
-- on 127.0.0.1:PORT (environment), all at once, as a script on the device would; for QoS > 0 it exits
-- once every PUBACK has come back.
local N, PORT, QOS = tonumber(os.getenv("N")), tonumber(os.getenv("PORT")), tonumber(os.getenv("QOS"))
local SIZE = tonumber(os.getenv("SIZE") or "64")

sys.taskInit(function()
    local client = mqtt.create(nil, "127.0.0.1", PORT)
    client:auth("bench-luatnet-" .. QOS, nil, nil, true)
    local acknowledged = 0
    client:on(function(_, event)
        if event == "conack" then
            sys.publish("BENCH_UP")
        elseif event == "sent" then
            acknowledged = acknowledged + 1
            if acknowledged == N then sys.publish("BENCH_DONE") end
        end
    end)
    client:connect()
    assert(sys.waitUntil("BENCH_UP", 5000), "no conack")
    local payload = string.rep("x", SIZE)
    for _ = 1, N do assert(client:publish("bench", payload, QOS)) end
    assert(sys.waitUntil("BENCH_DONE", 120000), "not every message was acknowledged")
    client:close()
    os.exit(0)
end)

sys.run()
