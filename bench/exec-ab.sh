#!/usr/bin/env bash
# Two builds' `git sprite exec … -- true` side by side against one sprite-host, alternating run
# by run so that a busy machine slows both alike: median, p25 and min of each.
# Usage: bench/exec-ab.sh BIN_DIR_A BIN_DIR_B [RUNS]   (each BIN_DIR holds a release build;
# the host comes from the first)
set -euo pipefail
a="$(cd "${1:?usage: bench/exec-ab.sh BIN_A BIN_B [RUNS]}" && pwd)"
b="$(cd "${2:?usage: bench/exec-ab.sh BIN_A BIN_B [RUNS]}" && pwd)"
runs="${3:-80}"
source "$(dirname "$0")/lib.sh"
start_host "$a"
curl -fsS -X POST -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL/v1/sprites" -d '{"name":"bench"}' >/dev/null
"$a/git-sprite" exec bench --dir /tmp -- true   # creates the sprite's PID namespace
python3 - "$a" "$b" "$runs" <<'PY'
import subprocess, sys, time
a, b, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = {a: [], b: []}
for i in range(runs):
    for build in (a, b) if i % 2 else (b, a):
        started = time.perf_counter()
        subprocess.run([build + "/git-sprite", "exec", "bench", "--dir", "/tmp", "--", "true"], check=True)
        times[build].append(time.perf_counter() - started)
for build in (a, b):
    v = sorted(times[build])
    print("%s: median %.2f ms, p25 %.2f ms, min %.2f ms"
          % (build, v[len(v) // 2] * 1000, v[len(v) // 4] * 1000, v[0] * 1000))
PY
