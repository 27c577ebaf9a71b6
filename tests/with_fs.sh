#!/usr/bin/env bash
# Runs luatnet with a fresh temporary device file system folder (--fs), removed afterwards, so that Lua tests
# share no files and write nothing into the source tree. Usage: with_fs.sh path/to/luatnet [arguments...]
set -u
bin=$1
shift
fs=$(mktemp -d -t luatnet-fs.XXXXXX)
trap 'rm -rf "$fs"' EXIT
"$bin" --fs "$fs" "$@"
