#!/usr/bin/env bash
# MQTT publish rate on loopback: luatnet (bench/mqtt_publish.lua) next to mosquitto_pub -l, each sending N
# messages of SIZE bytes to the same local mosquitto while mosquitto_sub -C N counts them; the time runs
# from the publisher's start until the subscriber has all N and the publisher has exited (QoS 1/2: every
# PUBACK back). Prints messages per second, the median of R rounds.
#   bench/mqtt_rate.sh [path/to/luatnet] [N] [R]
set -euo pipefail
cd "$(dirname "$0")/.."
luatnet=${1:-build-release/src/luatnet}
n=${2:-100000}
rounds=${3:-3}
size=${SIZE:-64}
dir=$(mktemp -d)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf 'user %s\nlistener %d 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n' "$(id -un)" "$port" >"$dir/m.conf"
timeout 600 mosquitto -c "$dir/m.conf" >/dev/null 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; rm -rf "$dir"' EXIT
sleep 0.5

# one run: prints elapsed seconds
run() {
  local who=$1 qos=$2
  timeout 120 mosquitto_sub -p "$port" -t bench -C "$n" >/dev/null &
  local sub=$!
  sleep 0.3
  local start end
  start=$(date +%s.%N)
  if [[ $who == luatnet ]]; then
    N=$n PORT=$port QOS=$qos SIZE=$size timeout 120 "$luatnet" bench/mqtt_publish.lua >/dev/null
  else
    head -c "$size" /dev/zero | tr '\0' x | awk -v n="$n" '{ for (i = 0; i < n; i++) print }' |
      timeout 120 mosquitto_pub -p "$port" -t bench -q "$qos" -l
  fi
  wait "$sub"
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}

for qos in 0 1; do
  for who in luatnet mosquitto_pub; do
    times=()
    for _ in $(seq "$rounds"); do times+=("$(run "$who" "$qos")"); done
    median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(((rounds + 1) / 2))p")
    printf 'QoS %d %-14s %8.0f msg/s  (median of %d runs of %d x %d B: %.3f s)\n' "$qos" "$who" \
      "$(echo "$n / $median" | bc -l)" "$rounds" "$n" "$size" "$median"
  done
done
