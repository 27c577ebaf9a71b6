#!/usr/bin/env bash
# Installs what luatnet needs on Debian 12 (as root), only when something is missing.
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  liblua5.3-dev        # the Lua 5.3 VM that LuatOS runs
  libasio-dev          # standalone Asio: the event loop
  libmbedtls-dev       # mbedTLS 2.28: crypto now, TLS/DTLS next (the firmware's TLS library)
  libc-ares-dev        # c-ares: asynchronous DNS with per-adapter servers
  libcli11-dev         # CLI11: the command line
  nlohmann-json3-dev   # nlohmann::json: parsing for the json module
  zlib1g-dev           # zlib: deflate streams for the miniz module
  libhttp-parser-dev   # http_parser: sans-I/O parsing of http responses and websocket upgrades
  libgtest-dev         # GoogleTest: C++ unit tests
  socat ncat openssl iproute2 python3  # real peers and helpers for the behaviour tests
  python3-pyftpdlib    # pyftpdlib: the real FTP server the ftp tests talk to
  libwslay-dev         # WebSocket framing (websocket module)
  python3-websockets   # the WebSocket server of the websocket tests
  mosquitto mosquitto-clients          # the real MQTT broker and clients the mqtt tests talk to
)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
