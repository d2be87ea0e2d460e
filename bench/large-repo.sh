#!/usr/bin/env bash
# The first `up` of a real-sized repository against `git push` of the same branch to a local
# bare repository, side by side, with `up`'s per-phase breakdown (from `up --json`).
# The repository is generated deterministically: 10,000 commits over 400 files, each commit
# changing three of them with about 1 KB of fresh pseudo-random text (a pack of about 34 MB),
# no remote, so everything goes through the tunnel.
# Usage: bench/large-repo.sh BIN_DIR [RUNS]   (BIN_DIR holds a release build; RUNS default 3)
set -euo pipefail
bin="$(cd "${1:?usage: bench/large-repo.sh BIN_DIR [RUNS]}" && pwd)"
runs="${2:-3}"
bash "$(dirname "$0")/../scripts/deps.sh" python3 time
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/lib.sh"
start_host "$bin"
export PATH="$bin:$PATH" HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name bench && git config --global user.email bench@example.invalid

repo="$work/large"
git init -q -b main "$repo"
python3 - <<'PY' | git -C "$repo" fast-import --quiet
import sys
out = sys.stdout.buffer
state = 12345
def rand():
    global state
    state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
    return state >> 11
files = {}
for c in range(10000):
    changed = sorted({rand() % 400 for _ in range(3)})
    out.write(b"commit refs/heads/main\n")
    out.write(b"committer bench <bench@example.invalid> %d +0000\n" % (1700000000 + c * 60))
    msg = b"commit %d\n" % c
    out.write(b"data %d\n%s" % (len(msg), msg))
    for f in changed:
        lines = files.get(f, [])
        fresh = ["%016x%016x%016x" % (rand(), rand(), rand()) for _ in range(8)]
        lines = (lines + fresh)[-40:]
        files[f] = lines
        data = ("\n".join(lines) + "\n").encode()
        out.write(b"M 100644 inline dir%02d/file%03d.txt\n" % (f % 20, f))
        out.write(b"data %d\n%s" % (len(data), data))
    out.write(b"\n")
PY
git -C "$repo" reset -q --hard main
git -C "$repo" repack -adq
git -C "$repo" config sprite.network.defaultPolicy allow-all
pack_kb=$(du -k "$repo"/.git/objects/pack/*.pack | awk '{s+=$1} END {print s}')
echo "repository: $(git -C "$repo" rev-list --count main) commits, $(git -C "$repo" count-objects -v | awk '/in-pack/ {print $2}') objects, ${pack_kb} KB pack"

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
: > "$work/push.times"
: > "$work/up.times"
for run in $(seq 1 "$runs"); do
    rm -rf "$work/bare.git" && git init -q --bare "$work/bare.git"
    t0=$(date +%s.%N)
    git -C "$repo" push -q "$work/bare.git" main
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l >> "$work/push.times"

    # timed alone: the memory probes below start Python (100 ms or more behind a pyenv shim)
    # and poll, which would be counted against up
    t0=$(date +%s.%N)
    ( cd "$repo" && git-sprite up --no-agent --json > "$work/up.$run.json" )
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l >> "$work/up.times"
    curl -fsS -X DELETE -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL/v1/sprites/large-main" >/dev/null
    # a first `up` again: nothing recorded of the last (its name, the root it found)
    git -C "$repo" config --remove-section branch.main 2>/dev/null || true
done
# peak memory, in runs of their own
for run in $(seq 1 "$runs"); do
    ( cd "$repo" && /usr/bin/time -f "%M" -o "$work/rss.$run" \
        python3 "$here/peak-rss.py" "$work/own-rss.$run" git-sprite up --no-agent --json > /dev/null )
    curl -fsS -X DELETE -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL/v1/sprites/large-main" >/dev/null
    # a first `up` again: nothing recorded of the last (its name, the root it found)
    git -C "$repo" config --remove-section branch.main 2>/dev/null || true
done
push=$(median < "$work/push.times")
up=$(median < "$work/up.times")
printf 'git push to a local bare repository  %7.0f ms  1.00x\n' "$(echo "$push * 1000" | bc -l)"
printf 'git sprite up (first, new sprite)    %7.0f ms  %5.2fx\n' "$(echo "$up * 1000" | bc -l)" "$(echo "$up / $push" | bc -l)"
echo "peak RSS of the largest process of up (git pack-objects included): $(sort -n "$work"/rss.* | tail -1) KB (largest of $runs runs)"
echo "peak RSS of git-sprite itself (its VmHWM): $(sort -n "$work"/own-rss.* | tail -1) KB (largest of $runs runs)"
echo "phases of the last run (up --json):"
python3 - "$work/up.$runs.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for step in doc["steps"]:
    print(f"  {step['name']:<10} {step['seconds'] * 1000:8.0f} ms")
for repo in doc["repos"]:
    for name, seconds in repo["phases"].items():
        print(f"    {repo['spritePath']} {name:<12} {seconds * 1000:8.0f} ms")
PY

# `up` again after one new commit (the sprite resumed, one commit pushed): the walk to the
# history's root is not made again (branch.main.spriteRoot), and the lock is asked for while
# the sprite is looked up
( cd "$repo" && git-sprite up --no-agent -q > /dev/null 2>&1 )
: > "$work/again.times"
for run in $(seq 1 "$runs"); do
    git -C "$repo" commit -q --allow-empty -m "again $run"
    t0=$(date +%s.%N)
    ( cd "$repo" && git-sprite up --no-agent --json > "$work/again.json" )
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l >> "$work/again.times"
done
printf 'git sprite up again after one commit %7.0f ms (median of %s)\n' "$(echo "$(median < "$work/again.times") * 1000" | bc -l)" "$runs"
python3 - "$work/again.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
print("  steps of the last: " + ", ".join(f"{s['name']} {s['seconds'] * 1000:.0f} ms" for s in doc["steps"]))
PY
curl -fsS -X DELETE -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL/v1/sprites/large-main" >/dev/null
# Where the push's time goes, piece by piece, each here and in a sprite side by side: the
# pack streamed through an exec's stdin (the tunnel's transfer) and `git index-pack` of it
# (what receive-pack runs), inside the sprite's sandbox and outside it.
pack=$(ls "$repo"/.git/objects/pack/*.pack | head -1)
curl -fsS -X POST -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL/v1/sprites" -d '{"name":"pieces"}' >/dev/null
git sprite exec pieces --dir /tmp -- true
ms() { python3 -c 'import sys; print(round((float(sys.argv[2]) - float(sys.argv[1])) * 1000))' "$1" "$2"; }
t0=$(date +%s.%N); cat "$pack" | cat > /dev/null; t1=$(date +%s.%N)
t2=$(date +%s.%N); git sprite exec pieces --dir /tmp -- sh -c 'cat > /tmp/pack.pack' < "$pack"; t3=$(date +%s.%N)
echo "the pack ($pack_kb KB) through a pipe here          $(ms "$t0" "$t1") ms"
echo "the pack through an exec's stdin into the sprite   $(ms "$t2" "$t3") ms (round trip included)"
index='rm -rf "$1" && git init -q --bare "$1" && cd "$1" && s=$(date +%s%N) && git index-pack --stdin --fix-thin < "$2" > /dev/null && e=$(date +%s%N) && echo $(( (e - s) / 1000000 ))'
for i in 1 2 3; do sh -c "$index" sh "$work/ip.git" "$pack"; done | median > "$work/ip.here"
for i in 1 2 3; do git sprite exec pieces --dir /tmp -- sh -c "$index" sh /tmp/ip.git /tmp/pack.pack; done | median > "$work/ip.sprite"
echo "git index-pack of it here (median of 3)           $(cat "$work/ip.here") ms"
echo "git index-pack of it in the sprite (median of 3)  $(cat "$work/ip.sprite") ms"
echo "CPUs: here $(nproc), in the sprite $(git sprite exec pieces --dir /tmp -- nproc)"
