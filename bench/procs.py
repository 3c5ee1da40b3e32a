"""Reading a process tree's memory from /proc, for the benchmarks' memory figures."""

from __future__ import annotations

import os


def proc_kb(pid: int, path: str, field: str) -> int:
    """A kB figure of a process, e.g. ("status", "VmRSS:") or ("smaps_rollup", "Pss:"); 0 once
    the process is gone."""
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def children(pid: int) -> list[int]:
    """The processes `pid` forked (a prefork worker's pool, gunicorn's workers)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return found
