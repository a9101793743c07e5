#!/usr/bin/env python3
"""CPU spent by a server's process tree and by PostgreSQL, from /proc.

As a command: `cpu.py PID` prints "<server ms> <postgres ms>" so far; the
difference of two readings around a run, divided by its requests, is the
CPU per request. PostgreSQL's figure covers every postgres process,
including backends that ended (their time is in the postmaster's
children's time).
"""

import os
import sys

TICK_MS = 1000.0 / os.sysconf("SC_CLK_TCK")


def stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    comm = text[text.index("(") + 1:text.rindex(")")]
    # fields[0] is the state (field 3): utime is field 14, so index 11.
    return {"comm": comm, "ppid": int(fields[1]), "self": int(fields[11]) + int(fields[12]),
            "children": int(fields[13]) + int(fields[14])}


def all_stats():
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            s = stat(int(entry))
            if s:
                out[int(entry)] = s
    return out


def tree_ticks(root, stats):
    """CPU of `root` and every live descendant, plus what reaped children spent."""
    members = {root}
    changed = True
    while changed:
        changed = False
        for pid, s in stats.items():
            if pid not in members and s["ppid"] in members:
                members.add(pid)
                changed = True
    total = sum(stats[p]["self"] for p in members if p in stats)
    return total + (stats[root]["children"] if root in stats else 0)


def postgres_ticks(stats):
    pg = {p: s for p, s in stats.items() if s["comm"].startswith("postgres")}
    roots = [p for p, s in pg.items() if s["ppid"] not in pg]
    return sum(tree_ticks(r, pg) for r in roots)



def reading(root):
    stats = all_stats()
    return tree_ticks(root, stats) * TICK_MS, postgres_ticks(stats) * TICK_MS


def window(samples_file, seconds):
    """(server ms, postgres ms) over the last `seconds` of a sampled run."""
    rows = [tuple(map(float, l.split())) for l in open(samples_file) if l.strip()]
    if len(rows) < 2:
        return 0.0, 0.0
    end = rows[-1]
    start = min(rows, key=lambda r: abs(r[0] - (end[0] - seconds)))
    return end[1] - start[1], end[2] - start[2]


if __name__ == "__main__":
    # cpu.py PID                     one reading: "<server ms> <postgres ms>"
    # cpu.py --every S PID           a reading every S seconds: "<t> <server ms> <pg ms>"
    # cpu.py --window FILE SECONDS   the last SECONDS of such samples
    if sys.argv[1] == "--every":
        import time
        every, root = float(sys.argv[2]), int(sys.argv[3])
        while os.path.exists(f"/proc/{root}"):
            server, pg = reading(root)
            print(f"{time.time():.3f} {server:.0f} {pg:.0f}", flush=True)
            time.sleep(every)
    elif sys.argv[1] == "--window":
        server, pg = window(sys.argv[2], float(sys.argv[3]))
        print(f"{server:.0f} {pg:.0f}")
    else:
        server, pg = reading(int(sys.argv[1]))
        print(f"{server:.0f} {pg:.0f}")
