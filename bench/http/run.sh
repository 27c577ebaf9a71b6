#!/usr/bin/env bash
# Request rate of luatnet's http.request next to curl and wrk against the same local fixed-answer server,
# one new connection per request (Connection: close, as the firmware sends) for all three.
#   bench/http/run.sh LUATNET_BINARY [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
luatnet=$1
seconds=${2:-5}
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
timeout $((seconds * 8 + 30)) /usr/bin/python3 fixed_server.py "$port" &
server=$!
trap 'kill $server 2>/dev/null' EXIT
sleep 1
url="http://127.0.0.1:$port/hello"
for tasks in 1 8; do
  echo -n "luatnet http.request, $tasks task(s): "
  HTTP_RATE_URL=$url HTTP_RATE_TASKS=$tasks HTTP_RATE_SECONDS=$seconds "$luatnet" rate.lua 2>&1 | grep rate
done
count=2000
start=$(date +%s.%N)
curl -s -H "Connection: close" $(for _ in $(seq $count); do echo "-o /dev/null $url"; done)
end=$(date +%s.%N)
echo "curl, one process, $count URLs in sequence: $(echo "$count / ($end - $start)" | bc) requests/s"
for connections in 1 8; do
  echo -n "wrk -c $connections, Connection: close: "
  wrk -t 1 -c $connections -d "${seconds}s" -H "Connection: close" "$url" | grep Requests/sec
done
echo -n "wrk -c 8, keep-alive (the server's ceiling): "
wrk -t 1 -c 8 -d "${seconds}s" "$url" | grep Requests/sec
