-- http.request rate against a local server: TASKS tasks each run requests back to back for SECONDS.
-- Settings come from the environment: HTTP_RATE_URL, HTTP_RATE_TASKS (1), HTTP_RATE_SECONDS (5).
local url = os.getenv("HTTP_RATE_URL")
local tasks = tonumber(os.getenv("HTTP_RATE_TASKS") or "1")
local seconds = tonumber(os.getenv("HTTP_RATE_SECONDS") or "5")
local done, failed, running = 0, 0, tasks
local deadline = mcu.ticks() + seconds * 1000
local started = mcu.ticks()
for _ = 1, tasks do
    sys.taskInit(function()
        while mcu.ticks() < deadline do
            local code = http.request("GET", url).wait()
            if code == 200 then done = done + 1 else failed = failed + 1 end
        end
        running = running - 1
        if running == 0 then
            local elapsed = (mcu.ticks() - started) / 1000
            print(string.format("requests %d failed %d seconds %.2f rate %.0f/s", done, failed, elapsed, done / elapsed))
            os.exit(0)
        end
    end)
end
sys.run()
