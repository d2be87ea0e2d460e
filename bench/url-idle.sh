#!/usr/bin/env bash
# What idle requests to a sprite's URL cost the host: N requests whose server in the sprite
# sent a head and then nothing, held open, against none (the baseline), side by side.
#
#   bash bench/url-idle.sh BIN_DIR [N] [SECONDS]
#
# Prints the host's CPU over SECONDS (100 ticks a second = one core) with no request open, then
# with N open, and the host's open descriptors before, during and after (the clients closed).
set -euo pipefail
bin="$(cd "$1" && pwd)"; n="${2:-500}"; seconds="${3:-20}"
. "$(dirname "$0")/lib.sh"
start_host "$bin"
export PATH="$bin:$PATH" GIT_CONFIG_GLOBAL="$work/gitconfig"
git config --global user.name bench; git config --global user.email bench@example.com
repo="$work/repo"; git init -q -b main "$repo"; cd "$repo"
echo a > a; git add a; git commit -qm init
git config sprite.agent.command "sh -c 'exec sleep 100000'"
git sprite up -q > /dev/null
cat > "$work/stall.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8080)); s.listen(4096)
held = []
while True:
    c, _ = s.accept(); c.recv(65536)
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nstart"); held.append(c)
PY
git sprite cp "$work/stall.py" :/home/sprite/stall.py
git sprite exec -- sh -c 'setsid nohup python3 /home/sprite/stall.py </dev/null >/dev/null 2>&1 & sleep 1'
git sprite url --public > /dev/null
url="$(git sprite url)"; port="${url##*:}"; port="${port%/}"
name="${url#http://}"; name="${name%%.localhost*}"
ticks() { awk '{print $14 + $15}' "/proc/$host_pid/stat"; }
fds() { ls "/proc/$host_pid/fd" | wc -l; }
t0=$(ticks); sleep "$seconds"; t1=$(ticks)
idle=$((t1 - t0)); before=$(fds)
python3 - "$port" "$n" "$((seconds + 8))" "$name" <<'PY' &
import socket, sys, time
port, n, hold, name = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
held = []
for _ in range(n):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(("GET / HTTP/1.1\r\nHost: %s.localhost:%d\r\n\r\n" % (name, port)).encode())
    held.append(c)
time.sleep(hold)
PY
clients=$!
sleep 5; during=$(fds); t0=$(ticks); sleep "$seconds"; t1=$(ticks)
busy=$((t1 - t0))
wait "$clients"; sleep 3
echo "host CPU over ${seconds} s: no request open $idle ticks; $n idle requests open $busy ticks"
echo "host descriptors: $before before, $during with the requests open, $(fds) after their clients closed"
