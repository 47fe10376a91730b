"""Measuring helpers the benches share: quantiles, rounding, memory, machine load, git state."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")

now = time.perf_counter


def pct(xs: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``xs``, linear between ranks."""
    s = sorted(xs)
    if not s:
        return float("nan")
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def r(x: float, nd: int = 2) -> float:
    return round(float(x), nd)


def summary_ms(xs: list[float]) -> dict[str, float]:
    """median / p90 / min / max of seconds, in ms."""
    return {
        "median": r(statistics.median(xs) * 1000),
        "p90": r(pct(xs, 0.9) * 1000),
        "min": r(min(xs) * 1000),
        "max": r(max(xs) * 1000),
    }


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def loadavg() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


class CpuWatch:
    """How many cores other processes kept busy between ``start`` and ``stop``."""

    @staticmethod
    def _system() -> tuple[int, int]:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:]]
        idle = vals[3] + vals[4]  # idle + iowait
        return sum(vals[:8]), idle

    @staticmethod
    def _self() -> int:
        with open("/proc/self/stat") as f:
            s = f.read()
        fields = s[s.rindex(")") + 2 :].split()
        # utime + stime of all threads, and of children waited for (start-up runs)
        return sum(int(v) for v in fields[11:15])

    def __init__(self) -> None:
        self.t0 = now()
        self.total0, self.idle0 = self._system()
        self.self0 = self._self()
        self.load0 = loadavg()

    def stop(self) -> dict[str, Any]:
        seconds = now() - self.t0
        total, idle = self._system()
        busy = (total - self.total0) - (idle - self.idle0)
        ours = self._self() - self.self0
        return {
            "seconds": r(seconds, 1),
            "loadavg_before": self.load0,
            "loadavg_after": loadavg(),
            "this_process_and_children_cores": r(ours / CLK_TCK / seconds),
            "other_processes_cores": r(max(0, busy - ours) / CLK_TCK / seconds),
        }


def git_state() -> dict[str, Any]:
    """Which code was measured: the commit, and the files changed on top of it."""

    def git(*a: str) -> str:
        try:
            return subprocess.run(
                ["git", *a], cwd=REPO, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = [line[3:] for line in git("status", "--porcelain").splitlines()]
    return {"head": git("rev-parse", "--short", "HEAD"), "changed_files": len(changed)}
