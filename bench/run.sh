#!/usr/bin/env bash
# Runs every benchmark against the given build. Usage: bench/run.sh BIN_DIR
set -euo pipefail
here="$(dirname "$0")"
for b in "$here"/plan.sh "$here"/exec.sh "$here"/up.sh "$here"/tunnel.sh "$here"/forward.sh; do
    echo "== $(basename "$b")"
    bash "$b" "$1"
done
