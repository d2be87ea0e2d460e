#!/usr/bin/env bash
# The first `up` of a repository with N submodules whose origins are local (so every one goes
# through the tunnel) against `git clone --recurse-submodules` of it here, side by side, for
# 1, 10 and N submodules: the cost of each extra submodule is the slope.
# Usage: bench/submodules.sh BIN_DIR [N] [RUNS]   (BIN_DIR holds a release build; N default 30)
set -euo pipefail
bin="$(cd "${1:?usage: bench/submodules.sh BIN_DIR [N] [RUNS]}" && pwd)"
n="${2:-30}"
runs="${3:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
start_host "$bin"
export PATH="$bin:$PATH" HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name bench && git config --global user.email bench@example.invalid
git config --global protocol.file.allow always
ms() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000000 )); }
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for i in $(seq 1 "$n"); do
    git init -q -b main "$work/origin-$i"
    for f in 1 2 3 4 5; do echo "module $i file $f" > "$work/origin-$i/f$f.txt"; done
    git -C "$work/origin-$i" add -A && git -C "$work/origin-$i" commit -qm "module $i"
done
make_super() {   # name count
    local dir="$work/$1"
    git init -q -b "$1" "$dir"
    echo "super" > "$dir/README" && git -C "$dir" add README
    for i in $(seq 1 "$2"); do git -C "$dir" submodule -q add "$work/origin-$i" "mods/m$i"; done
    git -C "$dir" commit -qm "with $2 submodules"
}
printf '%-14s %12s %12s %8s\n' submodules "clone (ms)" "up (ms)" ratio
for count in 1 10 "$n"; do
    clone=""; up=""
    for run in $(seq 1 "$runs"); do
        name="s$count-r$run"
        make_super "$name" "$count"
        rm -rf "$work/clone"
        clone="$clone $(ms git clone -q --recurse-submodules "$work/$name" "$work/clone")"
        up="$up $(cd "$work/$name" && ms git sprite up --no-agent -q)"
        (cd "$work/$name" && git sprite down --destroy --force -q >/dev/null 2>&1 || true)
    done
    c=$(echo $clone | median); u=$(echo $up | median)
    awk -v n="$count" -v c="$c" -v u="$u" 'BEGIN { printf "%-14s %12d %12d %7.1fx\n", n, c, u, u / c }'
done
