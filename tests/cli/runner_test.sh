#!/usr/bin/env bash
# The runner's contract: exit codes, --timeout, idle exit, task errors, folders and the require path.
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

printf 'sys.timerStart(function() os.exit(3) end, 10)\nsys.run()\n' >"$work/exit.lua"
expect "os.exit code is the exit code" 3 "" -- "$bin" "$work/exit.lua"

mkdir -p "$work/app" "$work/lib"
printf 'local helper = require "helper"\nlog.info("app", helper.name, PROJECT)\n' >"$work/app/main.lua"
printf 'PROJECT = "demo"\nreturn { name = "from-lib" }\n' >"$work/lib/helper.lua"
expect "folder run with a library folder" 0 "from-lib	demo" -- "$bin" run "$work/app" "$work/lib"
expect "missing script" 2 "no script" -- "$bin" "$work/none.lua"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
