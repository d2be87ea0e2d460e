#!/usr/bin/env bash
# Start-up and plan benchmarks (DESIGN.md §8):
#   1. `git sprite --version` and `git sprite plan` in a small repo, against `git status` there;
#   2. `git sprite plan` on a repo with 200 initialised submodules, against
#      `git submodule status --recursive` on the same repo (budget: at least 10x faster).
# Usage: bench/plan.sh BIN_DIR     (BIN_DIR holds a release build of git-sprite)
set -euo pipefail
bin="$(cd "${1:?usage: bench/plan.sh BIN_DIR}" && pwd)"
bash "$(dirname "$0")/../scripts/deps.sh" hyperfine python3
export PATH="$bin:$PATH"
work="$(mktemp -d "${TMPDIR:-/tmp}/git-sprite-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global protocol.file.allow always
q() { "$@" >/dev/null 2>&1; }

# small repo: 50 files, a remote, one unpushed commit
small="$work/small"
q git init "$small"
for i in $(seq 1 50); do echo "$i" > "$small/f$i.txt"; done
q git -C "$small" add -A && q git -C "$small" commit -m init
q git -C "$small" remote add origin https://example.com/acme/small.git
q git -C "$small" update-ref refs/remotes/origin/main HEAD
echo change > "$small/f1.txt" && q git -C "$small" commit -am change

# 200 submodules, each a tiny repo with its own remote-tracking ref
big="$work/big"
q git init --bare "$work/sub.git"
q git clone "$work/sub.git" "$work/sub" && echo s > "$work/sub/s" && q git -C "$work/sub" add -A \
    && q git -C "$work/sub" commit -m s && q git -C "$work/sub" push origin main
q git init "$big" && echo b > "$big/b" && q git -C "$big" add -A && q git -C "$big" commit -m b
q git -C "$big" remote add origin https://example.com/acme/big.git
for i in $(seq -w 1 200); do
    q git -C "$big" submodule add "$work/sub.git" "mods/m$i"
done
q git -C "$big" commit -m "200 submodules"

out="$work/results"
mkdir -p "$out"

# The floor under start-up: programs that do nothing but start, built here side by side, so
# what git-sprite adds over what any program linking the same things pays stays visible.
floor="$work/floor"
mkdir -p "$floor"
echo 'int main(void) { return 0; }' > "$floor/empty.c"
cc -O2 "$floor/empty.c" -o "$floor/c-empty"
cc -O2 "$floor/empty.c" -o "$floor/c-libgit2.so" -Wl,--no-as-needed -lgit2
echo 'import Foundation; if CommandLine.arguments.count > 9 { print(Date()) }' > "$floor/empty.swift"
swiftc -O -static-stdlib "$floor/empty.swift" -o "$floor/swift-foundation" 2>/dev/null

cd "$small"
hyperfine -N -w 5 -r 60 --export-json "$out/startup.json" \
    "git status --porcelain" "$floor/c-empty" "$floor/c-libgit2.so" "$floor/swift-foundation" \
    "git-sprite --version" "git sprite plan" >/dev/null
echo "git-sprite loads: $(ldd "$bin/git-sprite" | awk '{print $1}' | grep -v vdso | xargs)"
cd "$big"
hyperfine -N -w 2 -r 10 --export-json "$out/submodules.json" \
    "git submodule status --recursive" "git sprite plan" >/dev/null

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def load(name):
    return {r["command"]: r for r in json.load(open(f"{out}/{name}.json"))["results"]}
s = load("startup")
base = s["git status --porcelain"]["median"]
print("start-up, small repo (median of 60 runs)")
names = {"c-empty": "(floor) empty C program", "c-libgit2.so": "(floor) C, libgit2.so loaded",
         "swift-foundation": "(floor) Swift + Foundation"}
for cmd, r in s.items():
    name = names.get(cmd.rsplit("/", 1)[-1], cmd)
    print(f"  {name:32s} {r['median']*1000:7.1f} ms   {r['median']/base:5.2f}x git status")
b = load("submodules")
git = b["git submodule status --recursive"]["median"]
ours = b["git sprite plan"]["median"]
print("200 initialised submodules (median of 10 runs)")
print(f"  git submodule status --recursive {git*1000:7.1f} ms")
print(f"  git sprite plan                  {ours*1000:7.1f} ms   {git/ours:5.1f}x faster (budget >= 10x)")
PY
