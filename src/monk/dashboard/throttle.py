"""Login throttling: after ``per_email`` (5) failed logins for one email, or ``per_ip`` (20) from one
client IP, within ``window`` (15 minutes), further attempts for that email or from that IP are refused
(429) until the oldest failure leaves the window; a successful login clears its email's failures.

Counters live in this process's memory (like ``kit.ratelimit``): they are lost on restart, and with N
server processes an attacker gets up to N times the limit. No table or shared store is used.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MAX_KEYS = 100_000  # bounds memory: beyond it, expired counters are dropped, then all of them


@dataclass
class LoginThrottle:
    """Failed logins per email and per client IP in a sliding window (times from the app's clock)."""

    per_email: int = 5
    per_ip: int = 20
    window: timedelta = timedelta(minutes=15)
    failures: dict[str, deque[datetime]] = field(default_factory=dict)

    def _recent(self, key: str, now: datetime) -> int:
        times = self.failures.get(key)
        if not times:
            return 0
        while times and now - times[0] >= self.window:
            times.popleft()
        if not times:
            del self.failures[key]
        return len(times)

    def blocked(self, *, email: str, ip: str, now: datetime) -> bool:
        """Whether an attempt for ``email`` from ``ip`` must be refused now."""
        return (self._recent("e:" + email, now) >= self.per_email
                or self._recent("i:" + ip, now) >= self.per_ip)

    def failed(self, *, email: str, ip: str, now: datetime) -> None:
        """Count one failed login for ``email`` from ``ip``."""
        if len(self.failures) >= MAX_KEYS:
            for key in list(self.failures):
                self._recent(key, now)
            if len(self.failures) >= MAX_KEYS:
                self.failures.clear()
        for key in ("e:" + email, "i:" + ip):
            self.failures.setdefault(key, deque()).append(now)

    def succeeded(self, *, email: str) -> None:
        """Forget ``email``'s failures (its IP's stay counted)."""
        self.failures.pop("e:" + email, None)
