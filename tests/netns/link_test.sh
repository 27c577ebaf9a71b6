#!/usr/bin/env bash
# Adapters over a real link: two network namespaces joined by a veth pair (TEST-NET-1 addresses, no
# traffic leaves them). luatnet runs in one with LWIP_GP mapped to its veth end; a socat echo server runs in
# the other. The Lua script cuts and restores the link itself. Exit 77 (skipped) without netns rights.
# Usage: link_test.sh path/to/luatnet
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dev=ltn_dev_$$
peer=ltn_peer_$$
work=$(mktemp -d)
cleanup() {
  ip netns pids "$peer" 2>/dev/null | xargs -r kill 2>/dev/null
  ip netns del "$dev" 2>/dev/null
  ip netns del "$peer" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if ! ip netns add "$dev" 2>/dev/null || ! ip netns add "$peer" 2>/dev/null; then
  echo "link_test: cannot create network namespaces here; skipped"
  exit 77
fi
ip link add "lta$$" type veth peer name "ltb$$" || exit 77
ip link set "lta$$" netns "$dev"
ip link set "ltb$$" netns "$peer"
ip -n "$dev" link set lo up
ip -n "$peer" link set lo up
ip -n "$dev" addr add 192.0.2.1/24 dev "lta$$"
ip -n "$peer" addr add 192.0.2.2/24 dev "ltb$$"
ip -n "$dev" link set "lta$$" up
ip -n "$peer" link set "ltb$$" up
ip netns exec "$peer" timeout 60 socat TCP-LISTEN:7000,bind=192.0.2.2,reuseaddr,fork EXEC:cat &

cat >"$work/adapters.json" <<JSON
{ "default": "LWIP_GP", "adapters": [ { "index": "LWIP_GP", "interface": "lta$$" } ] }
JSON
LINK_IF="lta$$" timeout 60 ip netns exec "$dev" "$bin" --exit-on-error --timeout 45 --adapters "$work/adapters.json" \
  "$here/link_down.lua" "$root/tests/lua/lib"
