# Shared by the benchmarks: a sprite-host of their own in a temporary directory.
# start_host BIN_DIR [extra serve flags…] sets $work, SPRITES_API_URL and SPRITES_TOKEN, and
# stops the host and removes $work on exit.
start_host() {
    local bin="$1"; shift
    work="$(mktemp -d "${TMPDIR:-/tmp}/git-sprite-bench.XXXXXX")"
    "$bin/sprite-host" serve --listen 127.0.0.1:0 --root "$work/host" "$@" > "$work/url" 2> "$work/host.log" &
    host_pid=$!
    trap 'kill $host_pid 2>/dev/null; wait $host_pid 2>/dev/null; rm -rf "$work"' EXIT
    for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.05; done
    export SPRITES_API_URL="$(head -1 "$work/url")" SPRITES_TOKEN="$(cat "$work/host/token")"
}
