#!/usr/bin/env bash
# make test, after deps and lint: builds, runs the two tiers (scripts/test-tiers.sh), then every
# other suite. The official SDKs the compatibility tests drive (a Python virtualenv, Node.js from
# PyPI) are installed while the code builds: the installs wait on the disk and on pip more than
# on the CPU, and one after the other they took about 15 s before the build could start.
# The Makefile passes its settings in the environment: SWIFT, PYTHON_SDK, NODE, JS_SDK, TEST_CA,
# EDGE_SUITES, SPARSE_SUITES, TIER_ONLY_SUITES.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sdks=$(mktemp -d)
trap 'rm -rf "$sdks"' EXIT

(bash scripts/python-sdk.sh "$PYTHON_SDK" >"$sdks/python.log" 2>&1; echo $? >"$sdks/python.rc") &
python_install=$!
(bash scripts/node.sh "$root/$NODE" >"$sdks/node.path" 2>"$sdks/node.log"; echo $? >"$sdks/node.rc") &
node_install=$!

# first as make build/demo/install build (no Testing module), so neither can break unseen
"$SWIFT" build
"$SWIFT" build --build-tests
bash scripts/test-tiers.sh "$("$SWIFT" build --show-bin-path)" "$root/$TEST_CA" "$EDGE_SUITES" "$SPARSE_SUITES"

wait "$python_install" "$node_install"
cat "$sdks/python.log" "$sdks/node.log" >&2
[ "$(cat "$sdks/python.rc")" = 0 ] || { echo "error: the Python SDK could not be installed" >&2; exit 1; }
[ "$(cat "$sdks/node.rc")" = 0 ] || { echo "error: Node.js could not be installed" >&2; exit 1; }
echo "== every other suite" >&2
GIT_SPRITE_PYTHON="$(test -x "$PYTHON_SDK/bin/python" && echo "$root/$PYTHON_SDK/bin/python")" \
    GIT_SPRITE_NODE="$(cat "$sdks/node.path")" \
    GIT_SPRITE_JS_SDK="$(bash scripts/js-sdk.sh "$root/$JS_SDK")" \
    "$SWIFT" test --skip-build --parallel --skip "$TIER_ONLY_SUITES"
