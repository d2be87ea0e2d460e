#!/usr/bin/env bash
# `git sprite up` against sprite-host (DESIGN.md §8): sequential round trips on the critical
# path, estimated from wall time with 0 ms and with 100 ms injected per request
# ((t100 - t0) / 100 ms), the requests counted by the host, and peak RSS of git-sprite.
# Usage: bench/up.sh BIN_DIR     (BIN_DIR holds a release build)
set -euo pipefail
bin="$(cd "${1:?usage: bench/up.sh BIN_DIR}" && pwd)"
bash "$(dirname "$0")/../scripts/deps.sh" python3 time
source "$(dirname "$0")/lib.sh"
start_host "$bin" --test-hooks
export PATH="$bin:$PATH" HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME"
hook() { curl -fsS -X "$1" -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL$2" ${3:+-d "$3"} >/dev/null; }
requests() { curl -fsS -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL/_host/requests" \
    | python3 -c 'import json,sys; print(sum(v for k,v in json.load(sys.stdin).items() if "/_host/" not in k))'; }

make_repo() {   # a small repository with one commit and an uncommitted change, no remote
    git init -q -b main "$1"
    for i in $(seq 1 20); do echo "$i" > "$1/f$i"; done
    git -C "$1" add -A && git -C "$1" commit -qm init && echo change >> "$1/f1"
}

run_up() {   # name latency_ms -> seconds, requests, peak RSS KB
    local repo="$work/$1" latency="$2"
    hook POST /_host/faults "{\"latency_ms\":$latency}"
    local before; before=$(requests)
    local t0; t0=$(date +%s.%N)
    ( cd "$repo" && /usr/bin/time -f "%M" -o "$work/rss" git sprite up --no-agent -q >/dev/null )
    local t1; t1=$(date +%s.%N)
    local after; after=$(requests)
    echo "$(echo "$t1 - $t0" | bc -l) $((after - before - 1)) $(cat "$work/rss")"
}

results=()
for latency in 0 100; do
    make_repo "$work/fresh-$latency"
    results+=("fresh $latency $(run_up "fresh-$latency" "$latency")")
    results+=("rerun $latency $(run_up "fresh-$latency" "$latency")")
done
hook POST /_host/faults '{"latency_ms":0}'
printf '%s\n' "${results[@]}" | python3 -c '
import sys
rows = {}
for line in sys.stdin:
    kind, lat, secs, reqs, rss = line.split()
    rows[(kind, int(lat))] = (float(secs), int(reqs), int(rss))
print("git sprite up --no-agent, small repo, tunnel transport, uncommitted change")
for kind, label, budget in [("fresh", "fresh sprite", 6), ("rerun", "re-run, nothing new", 3)]:
    t0, r0, m0 = rows[(kind, 0)]
    t1, r1, m1 = rows[(kind, 100)]
    trips = (t1 - t0) / 0.1
    print(f"  {label:22s} {t0*1000:7.0f} ms at 0 ms, {t1*1000:7.0f} ms at 100 ms/request: "
          f"~{trips:4.1f} sequential round trips (budget <= {budget}); {r0} requests; peak RSS {max(m0, m1)/1024:.1f} MB")
'
