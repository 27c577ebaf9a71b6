#!/usr/bin/env bash
# Installs what is missing, builds luatnet (release) and runs the demo script.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
exec build/src/luatnet --timeout 30 examples/demo examples/tcp_server examples/tcp_client
