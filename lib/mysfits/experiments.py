"""Self-healing, measured: stop one of the service's tasks while requests run; count failures.

A request loop sends `GET /mysfits` to the workshop's own load balancer, a new connection per
request (as separate visitors would), until a request count or a time limit is reached. Meanwhile
one task is stopped with ECS StopTask: the load balancer drains its target, ECS starts a
replacement, and the health checks admit it. The result holds every request's outcome and when
each of those steps was first seen.
"""

from __future__ import annotations

import html
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import requests

from . import fargate, loadbalancer
from .checks import Check
from .errors import WorkshopError
from .loadbalancer import LoadBalancer
from .waiting import WaitTimedOut, wait_until
from .workshop import Workshop

MIN_SUCCESS_SHARE = 0.99
MIN_REQUESTS = 100  # fewer, and one failed request would not show against the 99% bar
PATH = "/mysfits"
STOP_REASON = "self-healing experiment (notebook 02)"
STOPPED, DRAINING, STARTED = "task stopped (StopTask)", "old target draining", "replacement started"
HEALTHY, GONE, ENDED = "replacement healthy", "old target gone", "old task STOPPED"
MILESTONES = (STOPPED, DRAINING, STARTED, HEALTHY, GONE, ENDED)
HEALED = (HEALTHY, GONE, ENDED)  # the service is whole again once all three were seen

Fetch = Callable[[str, float], tuple[int | None, str]]


@dataclass(frozen=True)
class Outcome:
    """One request of the loop: when it was sent (seconds after the loop began) and how it ended."""

    at: float
    status: int | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error


def fetch_mysfits(url: str, timeout: float) -> tuple[int | None, str]:
    """GET `url` on a new connection; the status, and what was wrong ('' for a full list)."""
    try:
        response = requests.get(url, timeout=timeout, headers={"Connection": "close"})
    except requests.RequestException as error:
        return None, type(error).__name__
    if response.status_code != 200:
        return response.status_code, f"HTTP {response.status_code}"
    try:
        listed = response.json().get("mysfits")
    except (ValueError, AttributeError):
        return 200, "not a JSON object"
    return 200, "" if listed else "no mysfits listed"


class RequestLoop:
    """Requests to one URL, one after another, until `max_requests` or `duration` seconds."""

    def __init__(
        self,
        url: str,
        *,
        max_requests: int,
        duration: float,
        pause: float = 0.02,
        timeout: float = 5.0,
        fetch: Fetch = fetch_mysfits,
        clock: Callable[[], float] = time.monotonic,
    ):
        if max_requests < 1 or duration <= 0:
            raise ValueError("a request loop needs max_requests >= 1 and duration > 0 (its bounds)")
        self.url, self.max_requests, self.duration = url, max_requests, duration
        self._pause, self._timeout, self._fetch, self._clock = pause, timeout, fetch, clock
        self._outcomes: list[Outcome] = []
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self.run, name="request-loop", daemon=True)
        self.started = clock()

    def start(self) -> RequestLoop:
        """Run the loop in a background thread."""
        self.started = self._clock()
        self._thread.start()
        return self

    def run(self) -> None:
        """Send requests until a bound is reached or `stop()` is called."""
        while (
            not self._halt.is_set()
            and len(self._outcomes) < self.max_requests
            and self.elapsed() < self.duration
        ):
            sent = self.elapsed()
            status, error = self._fetch(self.url, self._timeout)
            self._outcomes.append(Outcome(round(sent, 3), status, error))
            self._halt.wait(self._pause)

    def elapsed(self) -> float:
        return self._clock() - self.started

    @property
    def count(self) -> int:
        return len(self._outcomes)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def linger(self, seconds: float) -> None:
        """Let the loop run on for up to `seconds` (less if it reaches a bound first)."""
        self._thread.join(seconds)

    def stop(self) -> tuple[Outcome, ...]:
        """End the loop and return every outcome."""
        self._halt.set()
        if self._thread.is_alive():
            self._thread.join(self._timeout + 5)
        return tuple(self._outcomes)


@dataclass
class Watch:
    """What the experiment has seen of the stopped task and its replacement, and when."""

    victim_task: str
    victim_target: str
    before: frozenset[str]
    milestones: dict[str, float] = field(default_factory=dict)
    replacement_task: str | None = None
    replacement_target: str | None = None

    def note(self, milestone: str, at: float) -> None:
        self.milestones.setdefault(milestone, round(at, 2))

    def observe(
        self, health: dict[str, str], tasks: list[dict[str, Any]], victim_status: str, at: float
    ) -> bool:
        """Record what one look at targets and tasks shows; True once the service has healed."""
        self._old_task(health.get(self.victim_target), victim_status, at)
        self._replacement(health, tasks, at)
        return all(m in self.milestones for m in HEALED)

    def _old_task(self, state: str | None, status: str, at: float) -> None:
        if state == "draining":
            self.note(DRAINING, at)
        if state is None:
            self.note(GONE, at)
        if status == "STOPPED":
            self.note(ENDED, at)

    def _replacement(self, health: dict[str, str], tasks: list[dict[str, Any]], at: float) -> None:
        if self.replacement_task is None:
            self._pick_replacement(tasks, at)
        if self.replacement_target is None:  # the address comes once the task's interface is up
            mine = (t for t in tasks if t["taskArn"] == self.replacement_task)
            self.replacement_target = next((fargate.private_ip(t) for t in mine), None)
        if self.replacement_target is not None and health.get(self.replacement_target) == "healthy":
            self.note(HEALTHY, at)

    def _pick_replacement(self, tasks: list[dict[str, Any]], at: float) -> None:
        new = sorted(t["taskArn"] for t in tasks if t["taskArn"] not in self.before)
        if new:
            self.replacement_task = new[0]
            self.note(STARTED, at)


@dataclass(frozen=True, repr=False)
class SelfHealing:
    """The experiment's record: every request's outcome, the two tasks, and the milestones."""

    url: str
    outcomes: tuple[Outcome, ...]
    victim_task: str
    victim_target: str
    replacement_task: str | None
    replacement_target: str | None
    milestones: dict[str, float]

    @property
    def requests(self) -> int:
        return len(self.outcomes)

    @property
    def succeeded(self) -> int:
        return sum(1 for o in self.outcomes if o.ok)

    @property
    def share(self) -> float:
        return self.succeeded / self.requests if self.requests else 0.0

    def failures(self) -> dict[str, int]:
        """Each kind of failure and how often it happened."""
        return dict(Counter(o.error or f"HTTP {o.status}" for o in self.outcomes if not o.ok))

    def timeline(self) -> pd.DataFrame:
        """Each milestone and when it came, in seconds after StopTask ('' if it never came)."""
        start = self.milestones.get(STOPPED, 0.0)
        rows = [
            {
                "step": m,
                "seconds after StopTask": round(self.milestones[m] - start, 1)
                if m in self.milestones
                else "",
            }
            for m in MILESTONES
        ]
        return pd.DataFrame(rows)

    def summary(self) -> pd.Series:
        return pd.Series(
            {
                "requests": self.requests,
                "succeeded": self.succeeded,
                "success share": f"{self.share:.2%}",
                "stopped task": _short(self.victim_task),
                "its target (drained)": self.victim_target,
                "replacement task": _short(self.replacement_task),
                "its target": self.replacement_target or "",
                "failures": ", ".join(f"{k} x{n}" for k, n in self.failures().items()) or "none",
            },
            name="self-healing",
        )

    def __repr__(self) -> str:  # every outcome would be thousands of lines
        return (
            f"SelfHealing({self.succeeded}/{self.requests} requests succeeded; stopped "
            f"{_short(self.victim_task)}, replacement {_short(self.replacement_task) or 'none'})"
        )

    def _repr_html_(self) -> str:
        return (
            f"<b>Stopped one task while requesting {html.escape(self.url)}</b>"
            f'<div style="display:flex;gap:2em;align-items:flex-start">'
            f"{self.summary().to_frame().to_html()}{self.timeline().to_html(index=False)}</div>"
        )


def _short(arn: str | None) -> str:
    return arn.rsplit("/", 1)[-1][:8] if arn else ""


def check_success_share(
    result: SelfHealing, minimum: float = MIN_SUCCESS_SHARE, min_requests: int = MIN_REQUESTS
) -> Check:
    """At least `minimum` of at least `min_requests` requests succeeded during the replacement."""
    ok = result.requests >= min_requests and result.share >= minimum
    failures = ", ".join(f"{k} x{n}" for k, n in result.failures().items()) or "none"
    return Check(
        f"at least {minimum:.0%} of requests succeed while a task is replaced",
        ok,
        f"{result.succeeded}/{result.requests} succeeded ({result.share:.2%}; "
        f"at least {min_requests} requests needed); failures: {failures}",
    )


def check_healed(result: SelfHealing) -> Check:
    """The stopped task's target drained away, the task stopped and a replacement got healthy."""
    missing = [m for m in HEALED if m not in result.milestones]
    if missing:
        return Check("the service healed itself", False, f"never seen: {', '.join(missing)}")
    after = result.milestones[HEALTHY] - result.milestones.get(STOPPED, 0.0)
    return Check(
        "the service healed itself",
        True,
        f"task {_short(result.victim_task)} drained and stopped; replacement "
        f"{_short(result.replacement_task)} at {result.replacement_target} healthy "
        f"{after:.1f} s after StopTask",
    )


def _healthy_tasks(ws: Workshop, balancer: LoadBalancer) -> list[dict[str, Any]]:
    health = _states(ws, balancer)
    tasks = [
        t for t in fargate.running_tasks(ws) if health.get(fargate.private_ip(t) or "") == "healthy"
    ]
    if len(tasks) < 2:
        raise WorkshopError(
            f"the experiment needs two healthy tasks (one serves while the other is replaced), "
            f"found {len(tasks)}: run the service with desired_count=2 and wait for its targets "
            "to be healthy"
        )
    return sorted(tasks, key=lambda t: t["taskArn"])


def _states(ws: Workshop, balancer: LoadBalancer) -> dict[str, str]:
    return {
        t["Target"]["Id"]: t["TargetHealth"]["State"]
        for t in loadbalancer.target_health(ws, balancer)
    }


def _look(ws: Workshop, balancer: LoadBalancer, watch: Watch, loop: RequestLoop) -> bool:
    victim = fargate.describe_task(ws, watch.victim_task)
    return watch.observe(
        _states(ws, balancer), fargate.running_tasks(ws), victim["lastStatus"], loop.elapsed()
    )


def stop_one_task(
    ws: Workshop,
    balancer: LoadBalancer,
    *,
    max_requests: int = 6000,
    duration: float = 300.0,
    warmup_requests: int = 40,
    tail: float = 2.0,
    pause: float = 0.02,
    url: str | None = None,
) -> SelfHealing:
    """Request the API in a loop, stop one healthy task with StopTask, and watch the service heal.

    The loop requests `url` (by default the load balancer's address; once module 4 has closed
    that, the API's stage).

    The loop ends `tail` seconds after the service is whole again, or at `max_requests` or
    `duration` seconds, whichever comes first; a step that never came shows in the result.
    """
    victim = _healthy_tasks(ws, balancer)[0]
    before = frozenset(t["taskArn"] for t in fargate.running_tasks(ws))
    watch = Watch(victim["taskArn"], str(fargate.private_ip(victim)), before)
    loop = RequestLoop(
        (url or balancer.url) + PATH, max_requests=max_requests, duration=duration, pause=pause
    ).start()
    try:
        wait_until(
            lambda: loop.count >= warmup_requests or not loop.running,
            timeout=duration,
            what=f"{warmup_requests} requests before the stop",
            interval=0.1,
        )
        ws.client("ecs").stop_task(
            cluster=ws.names.cluster, task=watch.victim_task, reason=STOP_REASON
        )
        watch.note(STOPPED, loop.elapsed())
        try:
            wait_until(
                lambda: _look(ws, balancer, watch, loop),
                what="the service to heal",
                timeout=max(duration - loop.elapsed(), 1.0),
                interval=0.5,
            )
        except WaitTimedOut:
            pass  # the result names the steps that never came, and check_healed fails on them
        loop.linger(tail)
    finally:
        outcomes = loop.stop()
    return SelfHealing(
        loop.url,
        outcomes,
        watch.victim_task,
        watch.victim_target,
        watch.replacement_task,
        watch.replacement_target,
        dict(watch.milestones),
    )
