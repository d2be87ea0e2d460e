#!/usr/bin/env python3
"""Runs a command and writes the peak resident set of that process alone (its VmHWM, in KB)
to OUT: `/usr/bin/time` reports the largest of the process and the children it waited for,
which for `git sprite up` is git's pack-objects, not git-sprite.
Usage: peak-rss.py OUT COMMAND [ARG...]"""
import subprocess, sys, time

out, argv = sys.argv[1], sys.argv[2:]
child = subprocess.Popen(argv)
peak = 0
while child.poll() is None:
    try:
        with open(f"/proc/{child.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    except OSError:
        pass
    time.sleep(0.005)
with open(out, "w") as f:
    f.write(f"{peak}\n")
sys.exit(child.returncode)
