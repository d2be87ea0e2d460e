#!/usr/bin/env bash
# Builds the official JavaScript SDK (@fly/sprites, github.com/superfly/sprites-js) from a
# checkout of its source, with Debian's TypeScript compiler, for the compatibility test. The
# npm registry is not reachable from these machines, so the source comes from the caller:
#   GIT_SPRITE_JS_SDK_SOURCE=/path/to/sprites-js scripts/js-sdk.sh OUT
# Prints the built dist/index.js on stdout; prints nothing (and the test is skipped) without
# a source.
set -euo pipefail
out="${1:?usage: js-sdk.sh OUT}"
src="${GIT_SPRITE_JS_SDK_SOURCE:-}"
[ -n "$src" ] || exit 0
[ -f "$src/src/index.ts" ] || { echo "warning: $src has no src/index.ts; the JavaScript SDK test will be skipped" >&2; exit 0; }
command -v tsc >/dev/null || bash "$(dirname "$0")/deps.sh" node-typescript >&2
rm -rf "$out" && mkdir -p "$out"
cp -R "$src/src" "$src/tsconfig.json" "$src/package.json" "$out/"
rm -f "$out"/src/*.test.ts
# without @types/node (npm) the type check complains; the JavaScript it emits is the SDK's
(cd "$out" && tsc -p . --outDir dist >/dev/null 2>&1) || true
[ -f "$out/dist/index.js" ] || { echo "warning: the JavaScript SDK did not build" >&2; exit 0; }
echo "$out/dist/index.js"
