"""The self-healing experiment's pure parts: the loop's bounds, what a look records, the checks."""

from __future__ import annotations

import pytest

from mysfits import experiments
from mysfits.experiments import (
    DRAINING,
    ENDED,
    GONE,
    HEALTHY,
    STARTED,
    STOPPED,
    Outcome,
    RequestLoop,
    SelfHealing,
    Watch,
)

VICTIM, OTHER, NEW = (
    "arn:aws:ecs:us-east-1:1:task/c/aaa",
    "arn:aws:ecs:us-east-1:1:task/c/bbb",
    "arn:aws:ecs:us-east-1:1:task/c/ccc",
)


def task(arn: str, ip: str | None) -> dict:
    details = [{"name": "privateIPv4Address", "value": ip}] if ip else []
    return {
        "taskArn": arn,
        "attachments": [{"type": "ElasticNetworkInterface", "details": details}],
    }


def result(ok: int, failed: int, milestones: dict[str, float] | None = None) -> SelfHealing:
    outcomes = tuple(Outcome(i * 0.1, 200) for i in range(ok)) + tuple(
        Outcome(ok * 0.1 + i, None, "ConnectionError") for i in range(failed)
    )
    return SelfHealing(
        "http://127.0.0.1:1/mysfits",
        outcomes,
        VICTIM,
        "10.0.2.7",
        NEW,
        "10.0.3.9",
        milestones or {},
    )


class FakeClock:
    def __init__(self, step: float):
        self.now, self.step = 0.0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


def test_the_success_share_check_passes_at_99_percent_and_fails_below() -> None:
    passing = experiments.check_success_share(result(ok=990, failed=10))
    assert passing.ok and "990/1000 succeeded (99.00%" in passing.evidence
    failing = experiments.check_success_share(result(ok=989, failed=11))
    assert not failing.ok and "ConnectionError x11" in failing.evidence


def test_the_success_share_check_needs_enough_requests_to_mean_something() -> None:
    assert not experiments.check_success_share(result(ok=99, failed=0))
    assert experiments.check_success_share(result(ok=100, failed=0))
    assert not experiments.check_success_share(result(ok=0, failed=0))


def test_the_healed_check_names_the_steps_that_never_came() -> None:
    partial = experiments.check_healed(result(500, 0, {STOPPED: 1.0, DRAINING: 1.5, STARTED: 2.0}))
    assert not partial.ok
    assert partial.evidence == f"never seen: {HEALTHY}, {GONE}, {ENDED}"
    whole = experiments.check_healed(
        result(500, 0, {STOPPED: 1.0, HEALTHY: 7.5, GONE: 12.0, ENDED: 3.0})
    )
    assert whole.ok and "healthy 6.5 s after StopTask" in whole.evidence and "ccc" in whole.evidence


def test_a_watch_records_each_milestone_once_in_the_order_it_was_seen() -> None:
    watch = Watch(VICTIM, "10.0.2.7", frozenset({VICTIM, OTHER}))
    both = [task(VICTIM, "10.0.2.7"), task(OTHER, "10.0.3.4")]
    assert not watch.observe({"10.0.2.7": "healthy", "10.0.3.4": "healthy"}, both, "RUNNING", 1.0)
    assert watch.milestones == {}
    assert not watch.observe(
        {"10.0.2.7": "draining", "10.0.3.4": "healthy"},
        [task(OTHER, "10.0.3.4"), task(NEW, None)],
        "DEACTIVATING",
        1.5,
    )
    assert watch.milestones == {DRAINING: 1.5, STARTED: 1.5} and watch.replacement_target is None
    later = [task(OTHER, "10.0.3.4"), task(NEW, "10.0.3.9")]
    assert not watch.observe({"10.0.2.7": "draining", "10.0.3.9": "initial"}, later, "STOPPED", 3.0)
    assert (watch.replacement_task, watch.replacement_target) == (NEW, "10.0.3.9")
    assert not watch.observe({"10.0.2.7": "draining", "10.0.3.9": "healthy"}, later, "STOPPED", 8.0)
    assert watch.observe({"10.0.3.4": "healthy", "10.0.3.9": "healthy"}, later, "STOPPED", 11.0)
    assert watch.milestones == {DRAINING: 1.5, STARTED: 1.5, ENDED: 3.0, HEALTHY: 8.0, GONE: 11.0}


def test_the_request_loop_stops_at_its_request_count() -> None:
    sent: list[str] = []

    def fetch(url: str, timeout: float) -> tuple[int | None, str]:
        sent.append(url)
        return (200, "") if len(sent) % 4 else (None, "ConnectionError")

    loop = RequestLoop(
        "http://lb/mysfits",
        max_requests=10,
        duration=1e9,
        pause=0,
        fetch=fetch,
        clock=FakeClock(0.01),
    )
    loop.run()
    outcomes = loop.stop()
    assert len(outcomes) == 10 == len(sent) and set(sent) == {"http://lb/mysfits"}
    assert [o.ok for o in outcomes].count(False) == 2
    assert all(a.at < b.at for a, b in zip(outcomes, outcomes[1:], strict=False))


def test_the_request_loop_stops_at_its_time_limit() -> None:
    loop = RequestLoop(
        "http://lb/mysfits",
        max_requests=10_000,
        duration=5.0,
        pause=0,
        fetch=lambda url, timeout: (200, ""),
        clock=FakeClock(1.0),
    )
    loop.run()
    outcomes = loop.stop()
    assert 0 < len(outcomes) <= 5 and all(o.at < 5.0 for o in outcomes)


@pytest.mark.parametrize(("max_requests", "duration"), [(0, 10.0), (10, 0.0)])
def test_a_request_loop_must_be_bounded(max_requests: int, duration: float) -> None:
    with pytest.raises(ValueError, match="bounds"):
        RequestLoop("http://lb/mysfits", max_requests=max_requests, duration=duration)


def test_the_timeline_counts_from_stop_task_and_leaves_missing_steps_blank() -> None:
    timeline = result(100, 0, {STOPPED: 2.0, DRAINING: 2.5, HEALTHY: 9.0}).timeline()
    shown = dict(zip(timeline["step"], timeline["seconds after StopTask"], strict=True))
    assert shown[STOPPED] == 0.0 and shown[DRAINING] == 0.5 and shown[HEALTHY] == 7.0
    assert shown[GONE] == "" and list(timeline["step"]) == list(experiments.MILESTONES)
    summary = result(300, 3).summary()
    assert summary["success share"] == "99.01%" and summary["failures"] == "ConnectionError x3"
