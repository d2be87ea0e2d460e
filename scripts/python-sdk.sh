#!/usr/bin/env bash
# Installs the official Python Sprites SDK (sprites-py, from PyPI) into a virtualenv so the
# compatibility test can drive sprite-host with it. Usage: scripts/python-sdk.sh DIR
set -euo pipefail
dir="${1:?usage: python-sdk.sh DIR}"
version="0.7.2"
if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import sprites" 2>/dev/null; then exit 0; fi
if ! python3 -m venv "$dir" >/dev/null 2>&1; then
    bash "$(dirname "$0")/deps.sh" python3-venv
    python3 -m venv "$dir"
fi
if ! "$dir/bin/pip" install -q "sprites-py==$version" >/dev/null 2>&1; then
    echo "warning: could not install sprites-py==$version; the SDK compatibility test will be skipped" >&2
    rm -rf "$dir"
    [ "${CI:-}" = "true" ] && exit 1
fi
exit 0
