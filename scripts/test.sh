#!/usr/bin/env bash
# make test, after deps and lint: builds, then runs the two tiers (docs/compatibility.md) and
# every other suite.
#
# - The official SDKs the compatibility tests drive (a Python virtualenv, Node.js from PyPI) are
#   installed while the code builds: they wait on the disk and on pip more than on the CPU, and
#   one after the other they took about 15 s before the build could start.
# - The edge tier (every host behind an HTTP/2-capable TLS edge) and the sparse tier (every host
#   answering in the sparsest documented shapes) run at the same time: the sparse tier mostly
#   waits on its sprites. Every other suite starts when the sparse tier ends, beside the edge
#   tier's last tests (its live fault matrix), which leave the machine half idle.
# - The test binary runs the tiers directly: two `swift test` at once would wait on each other's
#   lock of .build. Each run's output is kept and printed whole at the end, one run after another.
#
# The Makefile passes its settings in the environment: SWIFT, PYTHON_SDK, NODE, JS_SDK, TEST_CA,
# EDGE_SUITES, SPARSE_SUITES, TIER_ONLY_SUITES.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

(bash scripts/python-sdk.sh "$PYTHON_SDK" >"$logs/python.log" 2>&1; echo $? >"$logs/python.rc") &
python_install=$!
(bash scripts/node.sh "$root/$NODE" >"$logs/node.path" 2>"$logs/node.log"; echo $? >"$logs/node.rc") &
node_install=$!

# first as make build/demo/install build (no Testing module), so neither can break unseen
"$SWIFT" build
"$SWIFT" build --build-tests
tests="$("$SWIFT" build --show-bin-path)/git-spritePackageTests.xctest"

rm -rf "${root:?}/$TEST_CA"
echo "== the edge and sparse tiers, then every other suite beside the edge tier's end" >&2
GIT_SPRITE_TEST_SPARSE=1 "$tests" --testing-library swift-testing --parallel --filter "$SPARSE_SUITES" \
    >"$logs/sparse" 2>&1 &
sparse=$!
GIT_SPRITE_TEST_EDGE=1 GIT_SPRITE_TEST_CA="$root/$TEST_CA" SSL_CERT_FILE="$root/$TEST_CA/ca.pem" \
    "$tests" --testing-library swift-testing --parallel --filter "$EDGE_SUITES" >"$logs/edge" 2>&1 &
edge=$!

sparse_status=0 edge_status=0 rest_status=0 sdks_status=0
wait "$sparse" || sparse_status=$?
wait "$python_install" "$node_install"
cat "$logs/python.log" "$logs/node.log" >&2
[ "$(cat "$logs/python.rc")" = 0 ] || { echo "error: the Python SDK could not be installed" >&2; sdks_status=1; }
[ "$(cat "$logs/node.rc")" = 0 ] || { echo "error: Node.js could not be installed" >&2; sdks_status=1; }
if [ "$sdks_status" = 0 ]; then
    GIT_SPRITE_PYTHON="$(test -x "$PYTHON_SDK/bin/python" && echo "$root/$PYTHON_SDK/bin/python")" \
        GIT_SPRITE_NODE="$(cat "$logs/node.path")" \
        GIT_SPRITE_JS_SDK="$(bash scripts/js-sdk.sh "$root/$JS_SDK")" \
        "$SWIFT" test --skip-build --parallel --skip "$TIER_ONLY_SUITES" >"$logs/rest" 2>&1 || rest_status=$?
fi
wait "$edge" || edge_status=$?

echo "== tier: every host behind an HTTP/2 TLS edge" >&2
cat "$logs/edge"
echo "== tier: every host answering in the sparsest documented shapes" >&2
cat "$logs/sparse"
if [ "$sdks_status" = 0 ]; then
    echo "== every other suite" >&2
    cat "$logs/rest"
fi
# every failure once more, last, where a reader of a long log's tail sees it
failures=$(cat "$logs/edge" "$logs/sparse" "$logs/rest" 2>/dev/null | grep -a "✘" | grep -av "✘ Suite\|✘ Test run" || true)
if [ -n "$failures" ]; then
    echo "== what failed, gathered from the runs above" >&2
    printf '%s\n' "$failures" | cut -c1-600 | head -n 80 || true
fi
[ "$edge_status" = 0 ] && [ "$sparse_status" = 0 ] && [ "$rest_status" = 0 ] && [ "$sdks_status" = 0 ]
