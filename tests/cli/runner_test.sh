#!/usr/bin/env bash
# The runner's contract: exit codes, --timeout, idle exit, task errors, folders and the require path, the
# device file system (/luadb/ from folder arguments, the --fs folder, fskv across runs and a damaged store).
# Usage: runner_test.sh path/to/luatnet
set -u
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0

expect() { # expect NAME WANTED_CODE PATTERN_IN_OUTPUT -- command...
  local name=$1 want=$2 pattern=$3
  shift 4
  local out code
  out=$(timeout 30 "$@" 2>&1)
  code=$?
  if [[ $code -eq $want ]] && grep -q -- "$pattern" <<<"$out"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $name (exit $code, wanted $want; pattern '$pattern')"
    echo "$out" | head -20
  fi
}

cat >"$work/idle.lua" <<'LUA'
sys.taskInit(function() sys.waitUntil("NEVER_PUBLISHED") end)
log.info("idle", "main done")
sys.run()
log.info("idle", "sys.run returned")
LUA
expect "nothing left to happen exits 0" 0 "sys.run returned" -- "$bin" "$work/idle.lua"

cat >"$work/forever.lua" <<'LUA'
sys.timerLoopStart(function() end, 10)
sys.run()
LUA
expect "--timeout stops with a message and 124" 124 "timeout" -- "$bin" --timeout 0.3 "$work/forever.lua"

printf 'local x = = 1\n' >"$work/syntax.lua"
expect "syntax error exits 1" 1 "unexpected symbol" -- "$bin" "$work/syntax.lua"

printf 'error("top level boom")\n' >"$work/toplevel.lua"
expect "top-level error exits 1 with traceback" 1 "top level boom" -- "$bin" "$work/toplevel.lua"

cat >"$work/taskerror.lua" <<'LUA'
sys.taskInit(function() sys.wait(10); error("task boom") end)
sys.taskInit(function() sys.wait(50); log.info("other", "still running") end)
sys.run()
LUA
expect "a failing task leaves the others running" 0 "still running" -- "$bin" "$work/taskerror.lua"
expect "the failure is logged with its traceback" 0 "stack traceback" -- "$bin" "$work/taskerror.lua"
expect "--exit-on-error exits 1" 1 "task boom" -- "$bin" --exit-on-error "$work/taskerror.lua"

# The same for a task that the host resumes itself with its socket's event (sys_wait's shortcut).
cat >"$work/handederror.lua" <<'LUA'
sysplus.taskInitEx(function()
    local udp = socket.create(nil, "sender")
    socket.config(udp, nil, true)
    socket.connect(udp, "127.0.0.1", 9)
    sys_wait("sender", socket.ON_LINE, 1000)
    socket.tx(udp, "x")
    sys_wait("sender", socket.TX_OK, 1000)
    error("handed boom")
end, "sender")
sys.taskInit(function() sys.wait(300); log.info("other", "still running"); os.exit(0) end)
sys.run()
LUA
expect "a task failing after its socket event leaves the others running" 0 "still running" -- \
  "$bin" "$work/handederror.lua"
expect "that failure is logged with its traceback" 0 "handederror.lua:8: handed boom" -- "$bin" "$work/handederror.lua"
expect "--exit-on-error exits 1 on it" 1 "stack traceback" -- "$bin" --exit-on-error "$work/handederror.lua"

printf 'sys.timerStart(function() os.exit(3) end, 10)\nsys.run()\n' >"$work/exit.lua"
expect "os.exit code is the exit code" 3 "" -- "$bin" "$work/exit.lua"

cat >"$work/reboot.lua" <<'LUA'
sys.timerStart(function() rtos.reboot() end, 10)
sys.timerStart(function() log.info("reboot", "still running after rtos.reboot") end, 200)
sys.run()
LUA
expect "rtos.reboot exits with 75" 75 "reboot requested" -- "$bin" "$work/reboot.lua"
if "$bin" "$work/reboot.lua" 2>&1 | grep -q "still running"; then
  failed=$((failed + 1))
  echo "FAILED: the script went on after rtos.reboot"
else
  passed=$((passed + 1))
fi

cat >"$work/restart.lua" <<LUA
local counter = "/boots" -- on the device's file system (the project's .luatnet-fs), which a reboot keeps
local boots = tonumber(io.readFile(counter) or "0") + 1
io.writeFile(counter, tostring(boots))
log.info("boot", "run", boots)
if boots < 3 then rtos.reboot() end
LUA
expect "--reboot restart runs the project again" 0 "I/user.boot run 3" -- "$bin" --reboot restart "$work/restart.lua"
expect "--reboot takes exit or restart" 105 "reboot" -- "$bin" --reboot sometimes "$work/restart.lua"

mkdir -p "$work/app" "$work/lib"
printf 'local helper = require "helper"\nlog.info("app", helper.name, PROJECT)\n' >"$work/app/main.lua"
printf 'PROJECT = "demo"\nreturn { name = "from-lib" }\n' >"$work/lib/helper.lua"
expect "folder run with a library folder" 0 "I/user.app from-lib demo" -- "$bin" run "$work/app" "$work/lib"
expect "missing script" 2 "no script" -- "$bin" "$work/none.lua"

# Folder arguments are searched through: require and /luadb/ find files in subfolders.
mkdir -p "$work/proj/tcp/deep" "$work/proj/certs" "$work/elsewhere"
cat >"$work/proj/main.lua" <<'LUA'
local helper = require "helper"
print("require", helper.name)
print("luadb", io.readFile("/luadb/ca.pem"))
print("dup", io.readFile("/luadb/dup.txt"))
print("hidden", io.exists("/luadb/out.txt"))
fskv.init()
local runs = (fskv.get("runs") or 0) + 1
print("runs", fskv.set("runs", runs), runs)
io.writeFile("/out.txt", "written")
LUA
printf 'return { name = "deep" }\n' >"$work/proj/tcp/deep/helper.lua"
printf 'CA' >"$work/proj/certs/ca.pem"
printf 'top' >"$work/proj/dup.txt"
printf 'nested' >"$work/proj/tcp/dup.txt"
expect "require finds a module in a subfolder" 0 "require deep" -- "$bin" "$work/proj"
expect "/luadb/ holds a file from a subfolder" 0 "luadb CA" -- "$bin" "$work/proj"
expect "the shallower of two same-named files wins" 0 "dup top" -- "$bin" "$work/proj"
expect "the other one is named in a warning" 0 "tcp/dup.txt has the same name" -- "$bin" "$work/proj"
expect "the fs folder is not part of /luadb/" 0 "hidden false" -- "$bin" "$work/proj"
expect "fskv keeps values across runs" 0 "runs true 6" -- "$bin" "$work/proj"
if [[ -f "$work/proj/.luatnet-fs/out.txt" ]]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAILED: the default fs folder is .luatnet-fs beside the project"; fi
(cd "$work/elsewhere" && "$bin" "$work/proj" >/dev/null 2>&1)
if [[ ! -e "$work/elsewhere/.luatnet-fs" ]]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAILED: nothing is written into the working directory"; fi
expect "--fs picks another folder (a fresh store)" 0 "runs true 1" -- "$bin" --fs "$work/other_fs" "$work/proj"
if [[ -f "$work/other_fs/out.txt" ]]; then passed=$((passed + 1)); else
  failed=$((failed + 1)); echo "FAILED: /out.txt lands in the --fs folder"; fi
head -c 30 "$work/proj/.luatnet-fs/fskv.bin" >"$work/other_fs/fskv.bin"
expect "a truncated store starts empty" 0 "runs true 1" -- "$bin" --fs "$work/other_fs" "$work/proj"
head -c 5000 /dev/urandom >"$work/other_fs/fskv.bin"
expect "a garbage store starts empty with a warning" 0 "damaged" -- "$bin" --fs "$work/other_fs" "$work/proj"
expect "and is usable again" 0 "runs true 2" -- "$bin" --fs "$work/other_fs" "$work/proj"
expect "--fs must be a folder" 2 "not a folder" -- "$bin" --fs "$work/proj/main.lua" "$work/proj"
expect "a path argument that does not exist is refused" 2 "no file or folder" -- "$bin" "$work/proj" "$work/no_such_lib"
if (cd "$work" && "$bin" proj/main.lua "$work/proj" 2>&1) | grep -q "main.lua is"; then
  failed=$((failed + 1)); echo "FAILED: no same-name warning for one file named twice"; else passed=$((passed + 1)); fi

# Device profiles: unknown names, bad presets, no profile means no driver modules.
printf 'print("drivers", mobile ~= nil, netdrv ~= nil, rtos.bsp())\n' >"$work/drivers.lua"
expect "without a profile there are no driver modules" 0 "drivers false false PC" -- "$bin" "$work/drivers.lua"
expect "--device air780e adds them" 0 "drivers true true EC618" -- "$bin" --device air780e "$work/drivers.lua"
expect "an unknown device is refused" 2 "unknown device nokia" -- "$bin" --device nokia "$work/drivers.lua"
printf '{ "device": "air8000", "adapters": [ { "index": "LWIP_GP", "simulate": { "preset": "5g" } } ] }' >"$work/badpreset.json"
expect "an unknown preset is refused" 2 "unknown link preset 5g" -- "$bin" --adapters "$work/badpreset.json" "$work/drivers.lua"
printf '{ "device": "air8000" }' >"$work/air8000.json"
expect "--device wins over the file's device" 0 "drivers true true EC618" -- "$bin" --device air780e --adapters "$work/air8000.json" "$work/drivers.lua"
printf '{ "adapters": [ { "index": "ETH0", "simulate": { "preset": "gprs", "latency_ms": 7 } } ] }' >"$work/preset.json"
printf 'local s = netsim.get(socket.ETH0); print("preset", s.latency, s.jitter, s.bandwidth, s.loss)\n' >"$work/preset.lua"
expect "a preset without a device, one field overridden" 0 "preset 7 200 40 0.02" -- "$bin" --adapters "$work/preset.json" "$work/preset.lua"

printf '{ "device": "air780e", "mobile": { "sim": false } }' >"$work/nosim.json"
cat >"$work/nosim.lua" <<'LUA'
local sim, ready = nil, false
sys.subscribe("SIM_IND", function(status) sim = status end)
sys.subscribe("IP_READY", function() ready = true end)
sys.taskInit(function()
    sys.wait(1500)
    print("nosim", sim, ready, mobile.imsi(), mobile.simid(), mobile.status(), mobile.csq(), mobile.imei() ~= nil)
end)
LUA
expect "without a SIM: NORDY, never registered, SIM values nil" 0 "nosim NORDY false nil -1 0 0 true" -- "$bin" --adapters "$work/nosim.json" "$work/nosim.lua"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
