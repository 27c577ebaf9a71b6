#!/usr/bin/env bash
# Runs the benchmarks on loopback. The matrix puts every echo server under the same load, interleaved
# round by round (each round starts each server once), and prints per server the median and range of the
# rounds, the ratio to the raw C++ epoll server of the same round, and the server's CPU time per request.
#   bench/run.sh [matrix] [--rounds R] [--seconds S] [--configs "mode N S;..."] [--servers "a b ..."]
#   bench/run.sh latency [--rounds R] [--seconds S]   one connection, 64 B, server and load pinned to one core
#   bench/run.sh idle [--conns N] [--servers "..."]   RSS per idle connection in one luatnet process
#   bench/run.sh churn [--seconds S]                  connect-accept-close at 1,000/s: fd and RSS growth
#   bench/run.sh tls                                  handshakes/s and bulk MB/s, luatnet next to openssl
#   bench/run.sh counts [--seconds S] [--servers "..."]  deterministic costs per request of each luatnet
#                                                     style (64 connections, 64 B ping-pong): system calls
#                                                     (strace), user-space instructions (callgrind)
# Servers: epoll (bench/echo_epoll.cpp), luv, copas, and the luatnet styles in bench/servers/:
# luatnet_callback, luatnet_task, luatnet_libnet; luatnet_callback_txok and luatnet_task_txok are the
# first two with BENCH_TXOK=1 (the script waits for each reply's TX_OK before reading again). A luatnet
# style named STYLE@PATH runs on the luatnet binary at PATH (another build), so that builds before and
# after a change run in one interleaved matrix: --servers "epoll luatnet_task@old/luatnet luatnet_task".
# LUATNET_LIBNET_DIR=folder makes luatnet_libnet use that folder's libnet.lua (e.g. the firmware's).
set -euo pipefail
cd "$(dirname "$0")/.."
what=matrix
rounds=3
seconds=2
conns=10000
configs="pingpong 64 64;pingpong 256 64;pingpong 1024 64;pingpong 10000 64;pingpong 64 16384;pingpong 256 16384;pingpong 1024 16384;pingpong 10000 16384"
luatnet_styles="luatnet_callback luatnet_callback_txok luatnet_task luatnet_task_txok luatnet_libnet"
servers=""
if [[ $# -gt 0 && $1 != --* ]]; then what=$1; shift; fi
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --configs) configs=$2; shift 2 ;;
    --servers) servers=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

build=${BENCH_BUILD:-build-bench}
scripts/setup.sh
bench_packages=()  # the tools of some benchmarks, installed only when one asks for them
[[ " $servers " == *" luv "* || " $servers " == *" copas "* ]] && bench_packages+=(lua5.3 lua-luv lua-socket lua-copas lua-coxpcall)
[[ $what == counts ]] && bench_packages+=(strace valgrind)
if ((${#bench_packages[@]})); then
  missing=()
  for package in "${bench_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" --target luatnet luatnet_loadgen luatnet_echo_epoll >/dev/null
ulimit -n "$(ulimit -Hn)"  # 10,000 connections need more than the usual 1,024 descriptors, on both sides

bin=${BENCH_LUATNET:-$build/src/luatnet}  # BENCH_LUATNET=path: another build's luatnet
loadgen=$build/bench/luatnet_loadgen
port=20400  # below the ephemeral range, so no client socket holds a server's port
pin=()      # the latency run puts the server and the load generator on one core
results=$(mktemp)
trap 'rm -f "$results"; jobs -p | xargs -r kill 2>/dev/null' EXIT

start_server() { # name[@luatnet binary] size -> sets server_pid
  local name=${1%@*} size=$2 luatnet=$bin
  [[ $1 == *@* ]] && luatnet=${1#*@}
  port=$((port + 1))
  case $name in
    epoll) "${pin[@]}" "$build/bench/luatnet_echo_epoll" "$port" & ;;
    luv) BENCH_PORT=$port "${pin[@]}" lua5.3 bench/servers/luv_echo.lua & ;;
    copas) BENCH_PORT=$port BENCH_SIZE=$size "${pin[@]}" lua5.3 bench/servers/copas_echo.lua & ;;
    luatnet_*_txok) BENCH_PORT=$port BENCH_TXOK=1 "${pin[@]}" "$luatnet" "bench/servers/${name%_txok}.lua" & ;;
    luatnet_*) BENCH_PORT=$port BENCH_LIBNET_DIR=${LUATNET_LIBNET_DIR:-} "${pin[@]}" "$luatnet" "bench/servers/$name.lua" & ;;
    *) echo "unknown server $name" >&2; exit 2 ;;
  esac
  server_pid=$!
  sleep 0.4
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# Runs every config x round x server; appends "mode n size server round rps mbps p50 p99 cpu_us" rows.
measure() {
  local -a list
  IFS=';' read -r -a list <<<"$configs"
  for config in "${list[@]}"; do
    read -r mode n size <<<"$config"
    for round in $(seq 1 "$rounds"); do
      for server in $servers; do
        # copas has no UDP echo here and stops at 1,024 fds (select); the callback servers are TCP only
        [[ $mode == udp && ($server == copas || $server == luatnet_callback*) ]] && continue
        [[ $server == copas && $n -ge 1024 ]] && continue
        start_server "$server" "$size"
        out=$("${pin[@]}" "$loadgen" --mode "$mode" --port "$port" --conns "$n" --size "$size" --seconds "$seconds" \
          --warmup 0.5 --server-pid "$server_pid" 2>&1 | grep RESULT || echo "RESULT rps=0 mbps=0 p50_us=0 p99_us=0 cpu_us=0")
        stop_server
        echo "$mode $n $size $server $round $(field rps "$out") $(field mbps "$out") $(field p50_us "$out")" \
          "$(field p99_us "$out") $(field cpu_us "$out")" >>"$results"
      done
    done
  done
}

# Median [min-max] of the rounds; the ratio to epoll is taken round by round (same round, same load).
summarize() {
  python3 - "$results" "$servers" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    mode, n, size, server, rnd, rps, mbps, p50, p99, cpu = line.split()
    rows[(mode, int(n), int(size), server)][int(rnd)] = [float(x or 0) for x in (rps, mbps, p50, p99, cpu)]
servers = sys.argv[2].split()
order = ["pingpong", "stream", "udp", "connect"]
configs = sorted({k[:3] for k in rows}, key=lambda c: (order.index(c[0]), c[2], c[1]))
def span(values, fmt):
    values = sorted(values)
    return f"{fmt.format(statistics.median(values))} [{fmt.format(values[0])}-{fmt.format(values[-1])}]"
print("| mode | N | S | server | req/s | MB/s | p50 us | p99 us | vs epoll | CPU us/req |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for config in configs:
    base = rows.get(config + ("epoll",), {})
    for server in servers:
        rounds = rows.get(config + (server,))
        if not rounds:
            continue
        key = 1 if config[0] == "stream" else 0
        ratios = [100 * r[key] / base[i][key] for i, r in rounds.items() if i in base and base[i][key] > 0]
        cols = [span([r[k] for r in rounds.values()], f) for k, f in ((0, "{:.0f}"), (1, "{:.1f}"), (2, "{:.0f}"), (3, "{:.0f}"), (4, "{:.2f}"))]
        ratio = span(ratios, "{:.0f}%") if ratios else "-"
        print(f"| {config[0]} | {config[1]} | {config[2]} | {server} | {cols[0]} | {cols[1]} | {cols[2]} | {cols[3]} | {ratio} | {cols[4]} |")
PY
}

run_matrix() {
  servers=${servers:-epoll $luatnet_styles}
  measure
  summarize
}

# One connection's 64-byte round trip with the server and the load generator on the same core: no
# cross-core wake-ups, so the figures compare the servers' own path.
run_latency() {
  servers=${servers:-epoll $luatnet_styles}
  configs="pingpong 1 64"
  pin=(taskset -c 0)
  measure
  summarize
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
fd_count() { ls "/proc/$1/fd" | wc -l; }

run_idle() {
  for server in ${servers:-$luatnet_styles}; do
    start_server "$server" 64
    local before
    before=$(rss_kb "$server_pid")
    "$loadgen" --mode idle --port "$port" --conns "$conns" --seconds 10 >/dev/null &
    local gen=$!
    sleep 8
    local after fds
    after=$(rss_kb "$server_pid")
    fds=$(fd_count "$server_pid")
    wait "$gen" || true
    stop_server
    echo "$server: idle connections: $conns, server fds: $fds, RSS before: ${before} KiB, with them: ${after} KiB," \
      "per connection: $(echo "scale=2; ($after - $before) / $conns" | bc) KiB (Lua objects included)"
  done
}

run_churn() {
  start_server luatnet_callback 1
  "$loadgen" --mode connect --port "$port" --conns 16 --rate 1000 --seconds 2 >/dev/null  # warm up
  local fds_before rss_before samples="" out_file
  fds_before=$(fd_count "$server_pid")
  rss_before=$(rss_kb "$server_pid")
  out_file=$(mktemp)
  "$loadgen" --mode connect --port "$port" --conns 16 --rate 1000 --seconds "$seconds" --warmup 0 >"$out_file" &
  local gen=$!
  # RSS and fds every tenth of the run: growth shows as a rising series, not only as an end-to-end delta.
  for _ in $(seq 1 10); do
    sleep "$(echo "scale=2; $seconds / 10" | bc)"
    samples+=" $(rss_kb "$server_pid")/$(fd_count "$server_pid")"
  done
  wait "$gen" || true
  out=$(grep RESULT "$out_file")
  rm -f "$out_file"
  sleep 1
  echo "connect-accept-close: $(field rps "$out")/s for ${seconds}s, errors $(field errors "$out"); server fds" \
    "$fds_before -> $(fd_count "$server_pid"), RSS $rss_before -> $(rss_kb "$server_pid") KiB"
  echo "RSS KiB/fds during the run, every $(echo "scale=1; $seconds / 10" | bc) s:$samples"
  stop_server
}

run_tls() {
  local dir
  dir=$(mktemp -d)
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 2 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost" 2>/dev/null
  port=$((port + 1))
  socat OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,cert=$dir/cert.pem,key=$dir/key.pem,verify=0 EXEC:cat \
    2>/dev/null &
  local peer=$!
  sleep 0.5
  echo "openssl s_time (new handshakes, ${seconds}s):"
  timeout $((seconds + 10)) openssl s_time -connect 127.0.0.1:$port -new -time "$seconds" 2>/dev/null |
    grep -E "real seconds" | head -1
  TLS_PORT=$port TLS_SECONDS=$seconds "$bin" bench/servers/luatnet_tls_client.lua "$dir/cert.pem" 2>&1 | grep RESULT
  local bulk=$((16 * 1024 * 1024))
  local t0 t1
  t0=$(date +%s.%N)
  head -c $bulk /dev/zero | timeout 60 socat -t 5 -b 65536 - OPENSSL:127.0.0.1:$port,verify=0 2>/dev/null |
    head -c $bulk | wc -c >/dev/null
  t1=$(date +%s.%N)
  echo "socat (OpenSSL) client, bulk echo of 16 MiB: $(echo "scale=1; 16.78 / ($t1 - $t0)" | bc) MB/s"
  kill $peer 2>/dev/null || true
  rm -rf "$dir"
}

# One run of a luatnet style under `tool`: the server ends by its own --timeout (so the tool writes its
# report) and the load generator's request count is printed. Startup is left out of the instruction count
# by the caller, which measures it without load.
under_tool() { # style[@luatnet binary] load_seconds tool...
  local name=${1%@*} load_seconds=$2 luatnet=$bin
  [[ $1 == *@* ]] && luatnet=${1#*@}
  shift 2
  port=$((port + 1))
  local -a env=(BENCH_PORT=$port)
  [[ $name == *_txok ]] && env+=(BENCH_TXOK=1)
  local startup=3  # valgrind takes a while to start the process
  env "${env[@]}" "$@" "$luatnet" --timeout $((load_seconds + startup + 2)) "bench/servers/${name%_txok}.lua" \
    >/dev/null 2>&1 &
  local tool_pid=$!
  sleep "$startup"
  if ((load_seconds > 0)); then
    "$loadgen" --mode pingpong --port "$port" --conns 64 --size 64 --seconds "$load_seconds" --warmup 0 |
      sed -n 's/.* requests=\([0-9]*\).*/\1/p'
  fi
  wait "$tool_pid" || true
}

run_counts() {
  local dir
  dir=$(mktemp -d)
  local load=${seconds%.*}
  ((load >= 3)) || load=5
  echo "| server | system calls/req (strace) | instructions/req (callgrind) |"
  echo "| --- | --- | --- |"
  for server in ${servers:-$luatnet_styles}; do
    local requests calls idle instructions
    requests=$(under_tool "$server" "$load" strace -f -c -o "$dir/strace")
    calls=$(awk -v r="$requests" '$1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" && $4 / r >= 0.01 {
      printf "%s %.2f, ", $NF, $4 / r } $NF == "total" { total = $4 / r } END { printf "total %.2f", total }' "$dir/strace")
    under_tool "$server" 0 valgrind --tool=callgrind --callgrind-out-file="$dir/idle" >/dev/null
    requests=$(under_tool "$server" "$load" valgrind --tool=callgrind --callgrind-out-file="$dir/load")
    idle=$(callgrind_annotate "$dir/idle" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    instructions=$(callgrind_annotate "$dir/load" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    echo "| $server | $calls | $(((instructions - idle) / requests)) |"
  done
  rm -rf "$dir"
}

case $what in
  matrix) run_matrix ;;
  counts) run_counts ;;
  latency) run_latency ;;
  idle) run_idle ;;
  churn) run_churn ;;
  tls) run_tls ;;
  *) echo "unknown benchmark $what" >&2; exit 2 ;;
esac
