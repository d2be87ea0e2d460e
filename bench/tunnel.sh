#!/usr/bin/env bash
# Tunnel push throughput (DESIGN.md §8): pushing a 50 MB history through git-remote-sprite to
# a sprite on sprite-host, against `git push` of the same history to a local bare repository.
# Budget: at least 0.7x the local throughput. Usage: bench/tunnel.sh BIN_DIR (a release build)
set -euo pipefail
bin="$(cd "${1:?usage: bench/tunnel.sh BIN_DIR}" && pwd)"
bash "$(dirname "$0")/../scripts/deps.sh" python3
source "$(dirname "$0")/lib.sh"
start_host "$bin"
export PATH="$bin:$PATH" HOME="$work/home" GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME"
curl -fsS -X POST -H "Authorization: Bearer $SPRITES_TOKEN" "$SPRITES_API_URL/v1/sprites" -d '{"name":"bench"}' >/dev/null
git-sprite exec bench --dir /home/sprite -- true

src="$work/src"
git init -q -b main "$src"
for i in $(seq 1 10); do     # 10 commits of 5 MB of incompressible data: a 50 MB history
    head -c 5242880 /dev/urandom > "$src/blob$i.bin"
    git -C "$src" add -A && git -C "$src" commit -qm "c$i"
done
size=$(du -sm "$src/.git/objects" | cut -f1)

best() {   # runs "$@" (after a reset step) 3 times, prints the fastest seconds
    local best=999
    for _ in 1 2 3; do
        "$reset"
        local t0; t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        local t; t=$(echo "$(date +%s.%N) - $t0" | bc -l)
        best=$(echo "if ($t < $best) $t else $best" | bc -l)
    done
    echo "$best"
}
reset_local() { rm -rf "$work/bare.git"; git init -q --bare "$work/bare.git"; }
reset_sprite() { git-sprite exec bench --dir /home/sprite -- sh -c 'rm -rf repo.git && git init -q --bare repo.git'; }
reset=reset_local;  local_s=$(best git -C "$src" push -q "$work/bare.git" main)
reset=reset_sprite; tunnel_s=$(best git -C "$src" push -q sprite::bench/home/sprite/repo.git main)
python3 - "$size" "$local_s" "$tunnel_s" <<'PY'
import sys
size, local, tunnel = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"push of a {size} MB history (best of 3)")
print(f"  git push to a local bare repository   {local:6.2f} s  {size/local:7.1f} MB/s")
print(f"  git push through the sprite tunnel    {tunnel:6.2f} s  {size/tunnel:7.1f} MB/s  {local/tunnel:5.2f}x (budget >= 0.7x)")
PY
