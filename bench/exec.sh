#!/usr/bin/env bash
# Exec over the WebSocket against the same command run locally (issue: client and host):
#   1. round-trip latency of `true`: local `sh -c true` and the CLI's own start-up
#      (`git-sprite --version`) vs `git sprite exec -- true` on sprite-host, and the host's share
#      alone (bench/exec-floor.py: a raw socket per exec, no client start-up) beside the cost of
#      any request on a new connection (bench/request-floor.py: a 404 before any route);
#   2. stdin -> stdout throughput of 200 MB through `cat`, local pipe vs through the sprite,
#      and stdin alone (what a push through the tunnel is); beside them the copy bound: the
#      same path for the bytes (pipes, a loopback socket, the command's pipes) through a relay
#      that does nothing else (bench/copy-bound.c), the most any relay of that shape reaches.
# Usage: bench/exec.sh BIN_DIR     (BIN_DIR holds a release build)
set -euo pipefail
bin="$(cd "${1:?usage: bench/exec.sh BIN_DIR}" && pwd)"
here="$(cd "$(dirname "$0")" && pwd)"
bash "$(dirname "$0")/../scripts/deps.sh" hyperfine python3 gcc libc6-dev
source "$(dirname "$0")/lib.sh"
start_host "$bin"
curl -fsS -X POST -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL/v1/sprites" -d '{"name":"bench"}' >/dev/null
export PATH="$bin:$PATH"
git-sprite exec bench --dir /tmp -- true   # creates the sprite's PID namespace
cd "$work"
hyperfine -N -w 5 -r 40 --export-json "$work/latency.json" \
    "sh -c true" "git-sprite --version" "git-sprite exec bench --dir /tmp -- true" >/dev/null
python3 "$here/exec-floor.py" bench 40 > "$work/floor.txt"
python3 "$here/request-floor.py" /nothing 300 > "$work/request.txt"
mb=200
hyperfine -w 1 -r 5 --export-json "$work/throughput.json" \
    "head -c ${mb}M /dev/zero | cat > /dev/null" \
    "head -c ${mb}M /dev/zero | git-sprite exec bench --dir /tmp -- cat > /dev/null" \
    "head -c ${mb}M /dev/zero | git-sprite exec bench --dir /tmp -- sh -c 'cat > /dev/null'" >/dev/null
cc -O2 -pthread -o "$work/copy-bound" "$here/copy-bound.c"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hyperfine -N -w 1 -r 5 --export-json "$work/bound.json" \
    --prepare "sh -c '\"$work/copy-bound\" serve $port & sleep 0.2'" \
    "sh -c 'head -c ${mb}M /dev/zero | \"$work/copy-bound\" connect $port > /dev/null'" >/dev/null
hyperfine -N -w 1 -r 5 --export-json "$work/bound-in.json" \
    --prepare "sh -c '\"$work/copy-bound\" serve $port sh -c \"cat > /dev/null\" & sleep 0.2'" \
    "sh -c 'head -c ${mb}M /dev/zero | \"$work/copy-bound\" connect $port > /dev/null'" >/dev/null
python3 - "$work" "$mb" <<'PY'
import json, sys
work, mb = sys.argv[1], int(sys.argv[2])
def load(n):
    return [r for r in json.load(open(f"{work}/{n}.json"))["results"]]
lat = load("latency")
base = lat[0]["median"]
startup = lat[1]["median"]
print("exec round trip (median of 40)")
for r in lat:
    print(f"  {r['command']:44s} {r['median']*1000:7.2f} ms  {r['median']/base:6.1f}x local"
          f"  {r['median']/startup:5.1f}x git-sprite --version")
up, done = map(float, open(f"{work}/floor.txt").read().split())
print(f"  the host alone (a raw socket per exec, no client) {done:7.2f} ms (101 after {up:.2f} ms)"
      f"; with the CLI's start-up: {(done + startup * 1000) / (startup * 1000):.1f}x git-sprite --version")
request = float(open(f"{work}/request.txt").read())
print(f"  a request the host answers 404 before any route (bench/request-floor.py) {request:.2f} ms")
thr = load("throughput")
local, remote = thr[0]["median"], thr[1]["median"]
print(f"stdin -> stdout through cat, {mb} MB (median of 5)")
print(f"  local pipe                                   {mb/local:7.0f} MB/s")
print(f"  through the sprite (WebSocket)               {mb/remote:7.0f} MB/s  {local/remote:5.2f}x of local")
upload = thr[2]["median"]
print(f"  stdin only (into the sprite, what a push is)  {mb/upload:7.0f} MB/s  {local/upload:5.2f}x of local")
bound, bound_in = load("bound")[0]["median"], load("bound-in")[0]["median"]
print("the copy bound: the same path through a relay that only reads and writes (bench/copy-bound.c)")
print(f"  both ways                                    {mb/bound:7.0f} MB/s  {local/bound:5.2f}x of local"
      f"  (the sprite reaches {bound/remote:4.0%} of it)")
print(f"  stdin only                                   {mb/bound_in:7.0f} MB/s  {local/bound_in:5.2f}x of local"
      f"  (the sprite reaches {bound_in/upload:4.0%} of it)")
PY
