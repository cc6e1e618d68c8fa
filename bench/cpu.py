"""CPU seconds spent, machine-wide and by who spent them, between two readings
(Linux /proc): where a run's cores went, per unit of work.

    meter = CpuMeter(others={"fake stripe": pid})
    ...work...
    spent = meter.spent()  # {"machine": s, "this process": s, "postgres": s, ...}

"this process" counts its threads and every child it has waited for (forked
workers, pgbench). "postgres" counts every PostgreSQL process, the backends
that exited meanwhile included (the postmaster's reaped children).
"""

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


def _process(pid: int, *, reaped: bool = False) -> float:
    """utime + stime (+ the reaped children's) of one process, in seconds."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()  # after "(comm)"
    utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
    return (utime + stime + ((cutime + cstime) if reaped else 0)) / TICK


def _postgres() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm.startswith("postgres"):
            total += _process(int(entry.name), reaped=True)
    return total


def _this_process() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


class CpuMeter:
    def __init__(self, *, others: dict[str, int] | None = None):
        self.others = others or {}
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        reading = {
            "machine": _machine_busy(),
            "this process": _this_process(),
            "postgres": _postgres(),
        }
        for name, pid in self.others.items():
            reading[name] = _process(pid, reaped=True)
        return reading

    def spent(self) -> dict[str, float]:
        now = self._read()
        return {name: now[name] - self.start[name] for name in now}
