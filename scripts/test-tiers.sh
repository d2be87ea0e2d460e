#!/usr/bin/env bash
# make test's two tiers (docs/compatibility.md), run at the same time: the edge tier (every host
# behind an HTTP/2-capable TLS edge) and the sparse tier (every host answering in the sparsest
# documented shapes). The sparse tier mostly waits on its sprites, so beside the edge tier it
# costs about a third of its own time (85 s for both against 110 s one after the other). The
# test binary is run directly: two `swift test` at once would wait on each other's lock of .build.
#   scripts/test-tiers.sh BIN_DIR CA_DIR EDGE_FILTER SPARSE_FILTER
set -uo pipefail
bin=$1 ca=$2 edge_filter=$3 sparse_filter=$4
tests="$bin/git-spritePackageTests.xctest"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rm -rf "$ca"
GIT_SPRITE_TEST_SPARSE=1 "$tests" --testing-library swift-testing --parallel --filter "$sparse_filter" >"$log" 2>&1 &
sparse=$!
echo "== tier: every host behind an HTTP/2 TLS edge" >&2
GIT_SPRITE_TEST_EDGE=1 GIT_SPRITE_TEST_CA="$ca" SSL_CERT_FILE="$ca/ca.pem" \
    "$tests" --testing-library swift-testing --parallel --filter "$edge_filter"
edge=$?
wait "$sparse"
sparse=$?
echo "== tier: every host answering in the sparsest documented shapes (run alongside the edge tier)" >&2
cat "$log"
[ "$edge" = 0 ] && [ "$sparse" = 0 ]
