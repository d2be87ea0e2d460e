#!/usr/bin/env bash
# Two builds side by side on one host: the first `up --no-agent` of a 20-file repository (no
# remote: the tunnel; one uncommitted change) into a new sprite, then `down`, each build in
# turn, RUNS times; prints each build's times and medians.
# Usage: bench/ab-up.sh BASE_BIN_DIR NEW_BIN_DIR [RUNS]   (release builds; RUNS default 6)
set -euo pipefail
base="$(cd "${1:?usage: bench/ab-up.sh BASE_BIN_DIR NEW_BIN_DIR [RUNS]}" && pwd)"
new="$(cd "${2:?usage: bench/ab-up.sh BASE_BIN_DIR NEW_BIN_DIR [RUNS]}" && pwd)"
runs="${3:-6}"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
start_host "$new"
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name bench && git config --global user.email bench@example.invalid
repo="$work/small"
git init -q -b main "$repo"
for i in $(seq 1 20); do echo "file $i" > "$repo/f$i.txt"; done
git -C "$repo" add -A && git -C "$repo" commit -qm init
echo change >> "$repo/f1.txt"
git -C "$repo" config sprite.network.defaultPolicy allow-all
ms() { echo $(( ($2 - $1) / 1000000 )); }
for _ in $(seq 1 "$runs"); do
    for which in base new; do
        bin=$base; [ "$which" = new ] && bin=$new
        git -C "$repo" config --unset branch.main.sprite || true
        t0=$(date +%s%N)
        ( cd "$repo" && PATH="$bin:$PATH" git-sprite up --no-agent > /dev/null 2>&1 )
        t1=$(date +%s%N)
        ( cd "$repo" && PATH="$bin:$PATH" git-sprite down > /dev/null 2>&1 )
        t2=$(date +%s%N)
        echo "$which up $(ms "$t0" "$t1")" >> "$work/times"
        echo "$which down $(ms "$t1" "$t2")" >> "$work/times"
        curl -fsS -X DELETE -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL/v1/sprites/small-main" > /dev/null
    done
done
for which in base new; do
    for what in up down; do
        times=$(awk -v w="$which" -v c="$what" '$1 == w && $2 == c {print $3}' "$work/times")
        median=$(echo "$times" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
        printf '%-4s %-5s median %6s ms   (%s)\n' "$which" "$what" "$median" "$(tr '\n' ' ' <<< "$times")"
    done
done
