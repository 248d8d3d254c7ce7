"""Load balancer targets: where each one really listens, and what its health checks see.

Target-group health as AWS runs it: the first check right after registration, then one
per interval; `healthy` after HealthyThresholdCount successes in a row, `unhealthy` after
UnhealthyThresholdCount failures; HTTP checks pass on a status inside the matcher.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.elbv2.models import FakeTargetGroup, elbv2_backends

Address = tuple[str, int]


class TargetDirectory:
    """Maps a target's AWS address (private IP, port) to where it listens on loopback."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._addresses: dict[Address, Address] = {}

    def add(self, target: Address, local: Address) -> None:
        with self._lock:
            self._addresses[target] = local

    def remove(self, target: Address) -> None:
        with self._lock:
            self._addresses.pop(target, None)

    def local(self, target: Address) -> Address | None:
        with self._lock:
            return self._addresses.get(target)

    def locals(self, targets: list[Address]) -> list[Address]:
        """Where each of `targets` listens, leaving out those with no local address yet."""
        with self._lock:
            return [self._addresses[t] for t in targets if t in self._addresses]


@dataclass
class TargetHealth:
    """What the health checks of one target group have seen of one target."""

    state: str = "initial"
    reason: str | None = "Elb.InitialHealthChecking"
    description: str | None = "Initial health checks in progress"
    successes: int = 0
    failures: int = 0
    next_check: float = 0.0
    checking: bool = field(default=False, repr=False)

    def record(self, ok: bool, healthy_threshold: int, unhealthy_threshold: int) -> None:
        """Count one check; the state flips after its threshold of passes or failures in a row."""
        self.successes, self.failures = (self.successes + 1, 0) if ok else (0, self.failures + 1)
        if ok and self.successes >= healthy_threshold:
            self.state, self.reason, self.description = "healthy", None, None
        elif not ok and self.failures >= unhealthy_threshold:
            self.state, self.reason, self.description = (
                "unhealthy",
                "Target.FailedHealthChecks",
                "Health checks failed",
            )


def target_groups() -> Iterator[FakeTargetGroup]:
    """Every target group of every region the local cloud has seen."""
    for backend in list(elbv2_backends[DEFAULT_ACCOUNT_ID].values()):
        yield from list(backend.target_groups.values())


def _matches(matcher: dict[str, Any] | None, status: int) -> bool:
    for part in str((matcher or {}).get("HttpCode", "200-399")).split(","):
        low, _, high = part.strip().partition("-")
        if int(low) <= status <= int(high or low):
            return True
    return False


def probe(group: FakeTargetGroup, local: Address) -> bool:
    """One health check of the target at `local`, as the target group defines it."""
    timeout = float(group.health_check_timeout_seconds or 6)
    if (group.health_check_protocol or "TCP").upper() == "TCP":
        try:
            socket.create_connection(local, timeout=timeout).close()
            return True
        except OSError:
            return False
    connection = http.client.HTTPConnection(local[0], local[1], timeout=timeout)
    try:
        connection.request(
            "GET", group.health_check_path or "/", headers={"User-Agent": "ELB-HealthChecker/2.0"}
        )
        return _matches(getattr(group, "matcher", None), connection.getresponse().status)
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


class HealthBook:
    """Health of every (target group, target), kept current by `check_due`."""

    def __init__(self, directory: TargetDirectory):
        self._directory = directory
        self._lock = threading.Lock()
        self._health: dict[tuple[str, str], TargetHealth] = {}
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")

    def get(self, group_arn: str, target_id: str) -> TargetHealth | None:
        with self._lock:
            return self._health.get((group_arn, target_id))

    def healthy(self, group_arn: str, target_id: str) -> bool:
        health = self.get(group_arn, target_id)
        return health is not None and health.state == "healthy"

    def forget(self, group_arn: str, target_id: str) -> None:
        with self._lock:
            self._health.pop((group_arn, target_id), None)

    def check_due(self) -> None:
        """Start the checks whose interval has come round."""
        now = time.monotonic()
        seen: set[tuple[str, str]] = set()
        for group in target_groups():
            for target_id, target in list(group.targets.items()):
                key = (group.arn, target_id)
                seen.add(key)
                with self._lock:
                    health = self._health.setdefault(key, TargetHealth(next_check=now))
                    if health.checking or now < health.next_check:
                        continue
                    health.checking = True
                port = int(target.get("Port") or group.port)
                self._pool.submit(self._check, group, key, (target_id, port))
        with self._lock:
            for key in set(self._health) - seen:
                del self._health[key]

    def _check(self, group: FakeTargetGroup, key: tuple[str, str], address: Address) -> None:
        local = self._directory.local(address)
        ok = local is not None and probe(group, local)
        with self._lock:
            health = self._health.get(key)
            if health is None:
                return
            health.checking = False
            health.next_check = time.monotonic() + float(group.health_check_interval_seconds or 30)
            health.record(
                ok,
                int(group.healthy_threshold_count or 5),
                int(group.unhealthy_threshold_count or 2),
            )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
