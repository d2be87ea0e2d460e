#!/usr/bin/env python3
"""Runs a command and writes the peak resident set of that process alone (its VmHWM, in KB)
to OUT: `/usr/bin/time` reports the largest of the process and the children it waited for,
which for `git sprite up` is git's pack-objects, not git-sprite.
With PEAK_RSS_MAPS=FILE, also appends to FILE what was resident at the largest resident set
seen, mapping by mapping (from /proc/PID/smaps, read at each new largest).
Usage: peak-rss.py OUT COMMAND [ARG...]"""
import collections, os, subprocess, sys, time

out, argv = sys.argv[1], sys.argv[2:]
maps_out = os.environ.get("PEAK_RSS_MAPS")
child = subprocess.Popen(argv)
peak, largest, at_largest = 0, 0, ""
while child.poll() is None:
    try:
        with open(f"/proc/{child.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
                elif maps_out and line.startswith("VmRSS:") and int(line.split()[1]) > largest:
                    largest = int(line.split()[1])
                    with open(f"/proc/{child.pid}/smaps") as smaps:
                        at_largest = smaps.read()
    except OSError:
        pass
    time.sleep(0.005 if not maps_out else 0.002)
with open(out, "w") as f:
    f.write(f"{peak}\n")
if maps_out:
    resident, name = collections.Counter(), None
    for line in at_largest.splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):
            name = fields[5] if len(fields) > 5 else "[anonymous]"
        elif fields and fields[0] == "Rss:":
            resident[name] += int(fields[1])
    with open(maps_out, "a") as f:
        f.write(f"{' '.join(argv)}: {largest} KB resident at the largest\n")
        for name, kb in resident.most_common(20):
            f.write(f"{kb:8d} KB {name}\n")
sys.exit(child.returncode)
