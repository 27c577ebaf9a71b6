#!/usr/bin/env bash
# Runs the benchmark matrix on loopback: every echo server under the same load, interleaved round by
# round, then prints medians and each server's ratio to the raw C++ epoll server.
#   bench/run.sh [matrix] [--rounds R] [--seconds S] [--configs "mode N S;..."]   the matrix
#   bench/run.sh idle [--conns N]                      RSS per idle connection in one luatnet process
#   bench/run.sh churn [--seconds S]                   connect-accept-close at 1,000/s: fd and RSS growth
#   bench/run.sh tls                                   handshakes/s and bulk MB/s, luatnet next to openssl
set -euo pipefail
cd "$(dirname "$0")/.."
what=matrix
rounds=3
seconds=2
conns=10000
only=""
if [[ $# -gt 0 && $1 != --* ]]; then what=$1; shift; fi
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --conns) conns=$2; shift 2 ;;
    --configs) only=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
missing=()
for package in lua5.3 lua-luv lua-socket lua-copas lua-coxpcall bc; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-bench -j"$(nproc)" --target luatnet luatnet_loadgen luatnet_echo_epoll >/dev/null
ulimit -n "$(ulimit -Hn)"  # 10,000 idle connections need more than the usual 1,024

bin=build-bench/src/luatnet
loadgen=build-bench/bench/luatnet_loadgen
port=20400  # below the ephemeral range, so no client socket holds a server's port
results=$(mktemp)
trap 'rm -f "$results"; jobs -p | xargs -r kill 2>/dev/null' EXIT

start_server() { # name size -> sets server_pid
  local name=$1 size=$2
  port=$((port + 1))
  case $name in
    epoll) build-bench/bench/luatnet_echo_epoll "$port" & ;;
    luv) BENCH_PORT=$port lua5.3 bench/servers/luv_echo.lua & ;;
    copas) BENCH_PORT=$port BENCH_SIZE=$size lua5.3 bench/servers/copas_echo.lua & ;;
    luatnet_task) BENCH_PORT=$port "$bin" bench/servers/luatnet_task.lua & ;;
    luatnet_callback) BENCH_PORT=$port "$bin" bench/servers/luatnet_callback.lua & ;;
  esac
  server_pid=$!
  sleep 0.4
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

run_matrix() {
  local configs=(
    "pingpong 1 64" "pingpong 64 64" "pingpong 256 64" "pingpong 1024 64"
    "pingpong 1 16384" "pingpong 64 16384" "pingpong 256 16384" "pingpong 1024 16384"
    "stream 1 16384" "udp 64 64" "connect 64 1"
  )
  if [[ -n $only ]]; then IFS=';' read -r -a configs <<<"$only"; fi
  local servers=(epoll luv copas luatnet_task luatnet_callback)
  for config in "${configs[@]}"; do
    read -r mode n size <<<"$config"
    for round in $(seq 1 "$rounds"); do
      for server in "${servers[@]}"; do
        # copas has no UDP echo here; the callback example is TCP only; copas (select) stops at 1,024 fds
        [[ $mode == udp && ($server == copas || $server == luatnet_callback) ]] && continue
        [[ $server == copas && $n -ge 1024 ]] && continue
        start_server "$server" "$size"
        out=$("$loadgen" --mode "$mode" --port "$port" --conns "$n" --size "$size" --seconds "$seconds" \
          --warmup 0.5 2>&1 | grep RESULT || echo "RESULT rps=0 mbps=0 p50_us=0 p99_us=0")
        stop_server
        echo "$mode $n $size $server $round $(field rps "$out") $(field mbps "$out") $(field p50_us "$out") $(field p99_us "$out")" >>"$results"
      done
    done
  done
  python3 - "$results" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    mode, n, size, server, _round, rps, mbps, p50, p99 = line.split()
    rows[(mode, int(n), int(size), server)].append((float(rps or 0), float(mbps or 0), float(p50 or 0), float(p99 or 0)))
configs = sorted({k[:3] for k in rows}, key=lambda c: (["pingpong", "stream", "udp", "connect"].index(c[0]), c[2], c[1]))
servers = ["epoll", "luv", "copas", "luatnet_task", "luatnet_callback"]
print("| mode | N | S | server | req/s | MB/s | p50 us | p99 us | vs epoll |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for config in configs:
    base = None
    for server in servers:
        samples = rows.get(config + (server,))
        if not samples:
            continue
        med = [statistics.median(s[i] for s in samples) for i in range(4)]
        key = 1 if config[0] == "stream" else 0
        if server == "epoll":
            base = med[key]
        ratio = f"{100 * med[key] / base:.0f}%" if base else "-"
        print(f"| {config[0]} | {config[1]} | {config[2]} | {server} | {med[0]:.0f} | {med[1]:.1f} | {med[2]:.0f} | {med[3]:.0f} | {ratio} |")
PY
}

rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
fd_count() { ls "/proc/$1/fd" | wc -l; }

run_idle() {
  start_server luatnet_callback 64
  local before
  before=$(rss_kb "$server_pid")
  "$loadgen" --mode idle --port "$port" --conns "$conns" --seconds 8 >/dev/null &
  local gen=$!
  sleep 6
  local after fds
  after=$(rss_kb "$server_pid")
  fds=$(fd_count "$server_pid")
  wait "$gen" || true
  stop_server
  echo "idle connections: $conns, server fds: $fds, RSS before: ${before} KiB, with them: ${after} KiB," \
    "per connection: $(echo "scale=2; ($after - $before) / $conns" | bc) KiB (Lua objects included)"
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

case $what in
  matrix) run_matrix ;;
  idle) run_idle ;;
  churn) run_churn ;;
  tls) run_tls ;;
  *) echo "unknown benchmark $what" >&2; exit 2 ;;
esac
