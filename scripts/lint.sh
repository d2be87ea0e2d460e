#!/usr/bin/env bash
# The code's habits, checked before the tests (make lint; make test runs it first):
# formatted as .swift-format says, no file in Sources longer than a reader can hold (350
# lines), and no citation of a document that is not in the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --recursive Sources Tests Package.swift
status=0
while read -r lines file; do
    if [ "$file" != total ] && [ "$lines" -gt 350 ]; then
        echo "$file: $lines lines (at most 350: split it by what its parts do)" >&2
        status=1
    fi
done < <(find Sources -name '*.swift' -print0 | xargs -0 wc -l)
if grep -rn '§' Sources; then
    echo "Sources cite sections of documents (§): name a file of this repository instead" >&2
    status=1
fi
# a child inherits the signal mask of the spawning thread, and libdispatch's workers block
# SIGTERM and SIGINT: a child started with a plain run() may never see terminate() or Ctrl-C
if grep -rnE '\b[a-z][A-Za-z]*\.run\(\)' Sources/GitSpriteCore Sources/GitSpriteCLI Tests/GitSpriteTests \
    Tests/GitSpriteCoreTests Tests/Support | grep -vE '\b(parsed|command|bench)\.run\(\)|lint: allowed here'; then
    echo "start a Process with runWithSignalsUnblocked(), not run() (Sources/GitSpriteCore/Processes/ChildProcess.swift)" >&2
    status=1
fi
# Foundation's waitUntilExit() on Linux waits in steps of 50 ms that a child's end does not cut
# short: every wait cost up to 50 ms
if grep -rn 'waitUntilExit()' Sources Tests | grep -vE '^[^:]+:[0-9]+:\s*//|lint: allowed here'; then
    echo "wait for a Process with runToExit() or exitSignal() (Sources/GitSpriteCore/Processes/ChildProcess.swift), not waitUntilExit()" >&2
    status=1
fi
# one lock abstraction: Locked (SpriteSync); the WebSocket's locks are the exception (its sender
# takes its lock with try(), which a critical section as a closure does not give)
if grep -rn 'NSLock()' Sources | grep -vE '^Sources/(SpriteSync/Locked|SpriteHTTP/WebSocket)\.swift:'; then
    echo "keep shared state in SpriteSync's Locked (withLock), not behind a hand-taken NSLock" >&2
    status=1
fi
# the end-to-end tests wait on processes: each runs on a thread of its own (OwnThread.swift), or
# two at a time on the cooperative pool of a 2-core machine
if grep -rn '^@Suite' Tests/GitSpriteTests | grep -v '\.ownThread'; then
    echo "give every suite of GitSpriteTests the .ownThread trait (Tests/Support/OwnThread.swift)" >&2
    status=1
fi
exit $status
