-- check: the assertions luatnet's Lua behaviour tests use. Every check counts; done() fails the run when
-- any check failed or fewer checks ran than the test expected (so a test that silently skips fails too).
local check = { passed = 0, failed = 0 }

local function describe(value)
    if type(value) == "string" then return string.format("%q", value) end
    return tostring(value)
end

local function record(ok, what, detail)
    if ok then
        check.passed = check.passed + 1
    else
        check.failed = check.failed + 1
        log.error("check", "FAILED: " .. tostring(what), detail or "", debug.traceback("", 3))
    end
    return ok
end

function check.eq(actual, expected, what)
    return record(actual == expected, what, "expected " .. describe(expected) .. ", got " .. describe(actual))
end

function check.truthy(value, what)
    return record(value and true or false, what, "got " .. describe(value))
end

function check.near(actual, expected, tolerance, what)
    local ok = type(actual) == "number" and math.abs(actual - expected) <= tolerance
    return record(ok, what, "expected " .. expected .. " +/- " .. tolerance .. ", got " .. describe(actual))
end

-- fn(...) must raise an error whose message contains `fragment` (plain text).
function check.raises(fragment, what, fn, ...)
    local ok, err = pcall(fn, ...)
    local text = tostring(err)
    return record(not ok and text:find(fragment, 1, true) ~= nil, what,
        ok and "no error raised" or ("error was: " .. text))
end

-- Ends the test: exit code 0 only when nothing failed and at least `expected` checks ran.
function check.done(expected)
    local enough = check.passed + check.failed >= (expected or 1)
    log.info("check", string.format("%d passed, %d failed%s", check.passed, check.failed,
        enough and "" or (" (expected at least " .. expected .. " checks)")))
    os.exit((check.failed == 0 and enough) and 0 or 1)
end

return check
