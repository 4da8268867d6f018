"""Resident memory of the server's processes, sampled from ``/proc`` (Linux)."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        out.setdefault(ppid, []).append(int(entry.name))
    return out


def tree(roots: list[int]) -> list[int]:
    """``roots`` and all their descendants."""
    kids = _children()
    seen: list[int] = []
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.append(pid)
        todo.extend(kids.get(pid, []))
    return seen


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time consumed so far by ``pids`` (and their waited-for children)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / tick


class RssSampler:
    """Samples the summed RSS of the process trees under ``roots`` every ``interval`` seconds in a
    thread; ``peak_total_mb`` is the highest sum seen, ``peak_process_mb`` the largest single process."""

    def __init__(self, roots: list[int], *, interval: float = 0.1) -> None:
        self.roots = roots
        self.interval = interval
        self.peak_total_kib = 0
        self.peak_process_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._pids: list[int] = []

    def _run(self) -> None:
        rounds = 0
        while not self._stop.is_set():
            if rounds % 10 == 0:  # the process list rarely changes: rescan once a second
                self._pids = tree(self.roots)
            rounds += 1
            sizes = [_rss_kib(p) for p in self._pids]
            self.peak_total_kib = max(self.peak_total_kib, sum(sizes))
            self.peak_process_kib = max(self.peak_process_kib, max(sizes, default=0))
            self.samples += 1
            self._stop.wait(self.interval)

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by the sampled processes."""
        return cpu_seconds(tree(self.roots))

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @property
    def peak_total_mb(self) -> float:
        return self.peak_total_kib / 1024

    @property
    def peak_process_mb(self) -> float:
        return self.peak_process_kib / 1024
