#!/usr/bin/env bash
# The cost of sprite-host's hardening (issue: host hardening, round 2) side by side with a
# build from before it: the seccomp filter and non-dumpable launcher (every command), the
# cgroup namespace join (every command) and the sprite's own ext4 disk (every new sprite).
#   1. round trip of `git-sprite exec … -- true` on a running sprite (median of 40);
#   2. a new sprite's first command: create, `exec true` (sandbox, cgroups, disk), delete (median of 15);
#   3. a first `up --no-agent` of a small repository into a new sprite, then delete (median of 10).
# Usage: bench/hardening.sh BASE_BIN_DIR NEW_BIN_DIR   (release builds; run as root, as the
# limits apply only there). A baseline: git worktree add /tmp/base 3c6fef4 && (cd /tmp/base &&
# swift build -c release --static-swift-stdlib)
set -euo pipefail
base="$(cd "${1:?usage: bench/hardening.sh BASE_BIN_DIR NEW_BIN_DIR}" && pwd)"
new="$(cd "${2:?usage: bench/hardening.sh BASE_BIN_DIR NEW_BIN_DIR}" && pwd)"
bash "$(dirname "$0")/../scripts/deps.sh" hyperfine python3 curl
work="$(mktemp -d "${TMPDIR:-/tmp}/git-sprite-bench.XXXXXX")"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# one host per build; a wrapper per build reads its address and token from files (no token in argv)
for side in base new; do
    bin="$base"; [ "$side" = new ] && bin="$new"
    "$bin/sprite-host" serve --listen 127.0.0.1:0 --root "$work/$side/host" > "$work/$side.url" 2> "$work/$side.log" &
    pids+=($!)
    for _ in $(seq 1 100); do [ -s "$work/$side.url" ] && break; sleep 0.05; done
    printf 'Authorization: Bearer %s\n' "$(cat "$work/$side/host/token")" > "$work/$side.auth"
    cat > "$work/$side.exec" <<SH
#!/bin/sh
export SPRITES_API_URL="\$(head -1 $work/$side.url)" SPRITES_TOKEN="\$(cat $work/$side/host/token)"
exec "$bin/git-sprite" exec "\$@"
SH
    cat > "$work/$side.fresh" <<SH
#!/bin/sh
set -e
url="\$(head -1 $work/$side.url)"
curl -fsS -H @$work/$side.auth -X POST "\$url/v1/sprites" -d '{"name":"fresh"}' >/dev/null
$work/$side.exec fresh --dir /tmp -- true
curl -fsS -H @$work/$side.auth -X DELETE "\$url/v1/sprites/fresh" >/dev/null
SH
    cat > "$work/$side.up" <<SH
#!/bin/sh
set -e
url="\$(head -1 $work/$side.url)"
export SPRITES_API_URL="\$url" SPRITES_TOKEN="\$(cat $work/$side/host/token)" PATH="$bin:\$PATH"
cd $work/repo
"$bin/git-sprite" up --no-agent -q >/dev/null
curl -fsS -H @$work/$side.auth -X DELETE "\$url/v1/sprites/repo-main" >/dev/null
SH
    chmod +x "$work/$side.exec" "$work/$side.fresh" "$work/$side.up"
    url="$(head -1 "$work/$side.url")"
    curl -fsS -H @"$work/$side.auth" -X POST "$url/v1/sprites" -d '{"name":"bench"}' >/dev/null
    "$work/$side.exec" bench --dir /tmp -- true
done
# a small repository for `up`: 200 files in 20 commits, no remote (all through the tunnel)
git init -q -b main "$work/repo"
for c in $(seq 1 20); do
    for f in $(seq 1 10); do printf 'line %s of commit %s\n' "$f" "$c" > "$work/repo/file-$c-$f.txt"; done
    git -C "$work/repo" add -A && git -C "$work/repo" -c user.name=bench -c user.email=bench@example.invalid commit -qm "commit $c"
done
git -C "$work/repo" config sprite.network.defaultPolicy allow-all
cd "$work"
hyperfine -N -w 5 -r 40 --export-json "$work/exec.json" "$work/base.exec bench --dir /tmp -- true" \
    "$work/new.exec bench --dir /tmp -- true" >/dev/null
hyperfine -N -w 2 -r 15 --export-json "$work/fresh.json" "$work/base.fresh" "$work/new.fresh" >/dev/null
hyperfine -N -w 1 -r 10 --export-json "$work/up.json" "$work/base.up" "$work/new.up" >/dev/null
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
for name, what in (("exec", "exec round trip of `true` (median of 40)"),
                   ("fresh", "a new sprite: create, first `exec true`, delete (median of 15)"),
                   ("up", "first `up --no-agent` of a 200-file repository into a new sprite, then delete (median of 10)")):
    base, new = (r["median"] for r in json.load(open(f"{work}/{name}.json"))["results"])
    print(what)
    print(f"  before hardening  {base*1000:8.1f} ms  1.00x")
    print(f"  hardened          {new*1000:8.1f} ms  {new/base:5.2f}x")
PY
