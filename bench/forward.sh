#!/usr/bin/env bash
# Port forwarding (git sprite forward) against the same HTTP server reached directly:
#   1. request latency of a small file: curl to a server on this machine's loopback vs curl to
#      the same kind of server in the sprite through `git sprite forward`;
#   2. bulk throughput of a 100 MB file, the same two ways.
# Both servers are python3 -m http.server serving the same bytes.
# Usage: bench/forward.sh BIN_DIR     (BIN_DIR holds a release build)
set -euo pipefail
bin="$(cd "${1:?usage: bench/forward.sh BIN_DIR}" && pwd)"
bash "$(dirname "$0")/../scripts/deps.sh" hyperfine python3 curl
source "$(dirname "$0")/lib.sh"
start_host "$bin"
curl -fsS -X POST -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL/v1/sprites" -d '{"name":"bench"}' >/dev/null
export PATH="$bin:$PATH"
mb=100
mkdir -p "$work/site"
head -c "${mb}M" /dev/urandom > "$work/site/big.bin"
echo hello > "$work/site/small.txt"
git-sprite cp "$work/site/big.bin" "$work/site/small.txt" bench:/home/sprite/site/ 2>/dev/null
# the server in the sprite, held by an exec stream; the one here, the same program
git-sprite exec bench --dir /home/sprite -- python3 -m http.server 8080 --bind 127.0.0.1 --directory /home/sprite/site \
    >/dev/null 2>&1 &
inside=$!
python3 -m http.server 0 --bind 127.0.0.1 --directory "$work/site" > "$work/direct.log" 2>&1 &
direct=$!
git-sprite forward bench 0:8080 > "$work/forward.txt" 2>/dev/null &
forward=$!
trap 'kill $inside $direct $forward 2>/dev/null; kill $host_pid 2>/dev/null; wait $host_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do grep -q forwarding "$work/forward.txt" && grep -q 'port' "$work/direct.log" && break; sleep 0.1; done
fport=$(sed -n 's/forwarding localhost:\([0-9]*\) .*/\1/p' "$work/forward.txt")
dport=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$work/direct.log" | head -1)
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$fport/small.txt" && break; sleep 0.1; done
cd "$work"
hyperfine -N -w 5 -r 40 --export-json "$work/latency.json" \
    "curl -s -o /dev/null http://127.0.0.1:$dport/small.txt" "curl -s -o /dev/null http://127.0.0.1:$fport/small.txt" >/dev/null
hyperfine -N -w 1 -r 5 --export-json "$work/throughput.json" \
    "curl -s -o /dev/null http://127.0.0.1:$dport/big.bin" "curl -s -o /dev/null http://127.0.0.1:$fport/big.bin" >/dev/null
python3 - "$work" "$mb" <<'PY'
import json, sys
work, mb = sys.argv[1], int(sys.argv[2])
def load(n):
    return [r for r in json.load(open(f"{work}/{n}.json"))["results"]]
lat = load("latency")
print("HTTP request of a small file (median of 40)")
print(f"  direct on loopback        {lat[0]['median']*1000:7.2f} ms")
print(f"  through git sprite forward {lat[1]['median']*1000:7.2f} ms  {lat[1]['median']/lat[0]['median']:5.1f}x direct")
thr = load("throughput")
d, f = thr[0]["median"], thr[1]["median"]
print(f"{mb} MB download (median of 5)")
print(f"  direct on loopback         {mb/d:7.0f} MB/s")
print(f"  through git sprite forward {mb/f:7.0f} MB/s  {d/f:5.2f}x of direct")
PY
