"""Stage and method throttling: API Gateway's token bucket.

AWS: a bucket holds up to `burstLimit` tokens and refills at `rateLimit` per second; a request
takes one token or is answered `429 {"message":"Too Many Requests"}`. The stage's `*/*` method
settings are the default limits of each method (every method has its own bucket); a method's
own setting (`{resource path}/{METHOD}` in methodSettings, `/` written `~1`) wins over them; a
rate or burst of -1 means no limit there. The account's limits (10,000 rps,
burst 5,000) are not applied (a listed gap).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

Clock = Callable[[], float]


class TokenBucket:
    """`burst` tokens at most, `rate` new tokens per second; starts full."""

    def __init__(self, rate: float, burst: int, clock: Clock = time.monotonic):
        self.rate = float(rate)
        self.burst = int(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take one token; False when the bucket is empty (the request is throttled)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False


def method_key(resource_path: str, http_method: str) -> str:
    """The methodSettings key of one method: `~1mysfits~1{mysfitId}/GET`."""
    return f"{resource_path.replace('/', '~1')}/{http_method}"


def _limits(settings: dict[str, Any]) -> tuple[float, int] | None:
    rate = settings.get("throttlingRateLimit")
    burst = settings.get("throttlingBurstLimit")
    if rate is None or burst is None or float(rate) < 0 or int(burst) < 0:
        return None
    return float(rate), int(burst)


class Throttles:
    """The buckets of one stage, made anew when its settings change."""

    def __init__(self, clock: Clock = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[tuple[float, int], TokenBucket]] = {}

    def admit(self, method_settings: dict[str, Any], resource_path: str, http_method: str) -> bool:
        """Whether a request to this method may pass, by the stage's settings now."""
        key = method_key(resource_path, http_method)
        limits = _limits(method_settings.get(key) or {}) or _limits(
            method_settings.get("*/*") or {}
        )
        if limits is None:
            return True
        with self._lock:
            known = self._buckets.get(key)
            if known is None or known[0] != limits:
                known = (limits, TokenBucket(limits[0], limits[1], self._clock))
                self._buckets[key] = known
        return known[1].take()
