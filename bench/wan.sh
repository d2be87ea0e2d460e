#!/usr/bin/env bash
# Round trips on a WAN-like link: sprite-host behind a proxy that delays every chunk 25 ms each
# way (bench/delay-proxy.py: a 50 ms round trip, no bandwidth cap), against the same commands
# on loopback. Each figure is (time at 50 ms - time at 0 ms) / 50 ms: the round trips a user
# waits for on the critical path. Runs `exec -- true`, a first `up` of a small repository
# (tunnel transport) and `up` again after one new commit.
# Usage: bench/wan.sh BIN_DIR [RUNS]     (BIN_DIR holds a release build; RUNS, default 5)
set -euo pipefail
bin="$(cd "${1:?usage: bench/wan.sh BIN_DIR [RUNS]}" && pwd)"
runs="${2:-5}"
bash "$(dirname "$0")/../scripts/deps.sh" python3
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
start_host "$bin"
direct="$SPRITES_API_URL"
port="${direct##*:}"
python3 "$here/delay-proxy.py" 0 127.0.0.1 "$port" 25 > "$work/proxy-port" 2>/dev/null &
proxy_pid=$!
# the same, and every new connection costs two round trips before it carries a request (TCP's
# handshake and TLS 1.3's, as through the real service's edge)
python3 "$here/delay-proxy.py" 0 127.0.0.1 "$port" 25 2 > "$work/tls-port" 2>/dev/null &
tls_pid=$!
trap 'kill $proxy_pid $tls_pid $host_pid 2>/dev/null; wait $host_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do [ -s "$work/proxy-port" ] && [ -s "$work/tls-port" ] && break; sleep 0.05; done
delayed="http://127.0.0.1:$(cat "$work/proxy-port")"
connecting="http://127.0.0.1:$(cat "$work/tls-port")"
export PATH="$bin:$PATH" HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME"
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
median() { tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

curl -fsS -X POST -H "Authorization: Bearer $SPRITES_TOKEN" "$direct/v1/sprites" -d '{"name":"wan"}' >/dev/null
git-sprite exec wan --dir /tmp -- true
declare -A result
for link in direct delayed connecting; do
    export SPRITES_API_URL="${!link}"
    t=""; for _ in $(seq 1 "$runs"); do t="$t $(ms git-sprite exec wan --dir /tmp -- true)"; done
    result[exec-$link]=$(echo $t | median)
    first=""; again=""
    for i in $(seq 1 "$runs"); do
        repo="$work/repo-$link-$i"
        git init -q -b "b$i-$link" "$repo"
        for f in $(seq 1 20); do echo "$f" > "$repo/f$f"; done
        git -C "$repo" add -A && git -C "$repo" commit -qm init
        first="$first $(cd "$repo" && ms git sprite up --no-agent -q)"
        echo more >> "$repo/f1" && git -C "$repo" commit -qam "one more"
        again="$again $(cd "$repo" && ms git sprite up --no-agent -q)"
        (cd "$repo" && git sprite down --destroy --force -q >/dev/null 2>&1 || true)
    done
    result[first-$link]=$(echo $first | median)
    result[again-$link]=$(echo $again | median)
done
echo "round trips at 50 ms RTT (delay proxy, 25 ms each way per chunk; medians of $runs);"
echo "the last column: the same, and each new connection costs 2 round trips first (TCP + TLS 1.3)"
for k in exec first again; do
    d=${result[$k-direct]}; w=${result[$k-delayed]}; c=${result[$k-connecting]}
    case $k in exec) label="git sprite exec -- true";; first) label="first up (small repo, tunnel)";;
                again) label="up after one new commit";; esac
    awk -v l="$label" -v d="$d" -v w="$w" -v c="$c" 'BEGIN { printf "  %-32s %6d ms loopback %6d ms at 50 ms RTT  ~%4.1f RTT   %6d ms  ~%4.1f RTT with connection set-up\n", l, d, w, (w - d) / 50, c, (c - d) / 50 }'
done
