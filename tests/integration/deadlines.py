"""How long integration tests wait for the local cloud's data plane, from its configured intervals.

Each deadline is the longest a step takes by the local cloud's own configuration (its heartbeat,
the ECS scheduler's registration deadline, a target group's health checks, a task's stop grace),
times LOAD: on a loaded 2-core machine everything runs later, never sooner. A deadline only bounds
how long a broken test takes to fail; no test asserts how fast something happened (the figures
are in benchmarks/).
"""

from __future__ import annotations

from typing import Any

from mysfits.local.core.heartbeat import TICK_SECONDS
from mysfits.local.ecs.planning import CRASH_BACKOFF as FAILURE_BACKOFF_SECONDS
from mysfits.local.ecs.planning import REGISTRATION_DEADLINE as REGISTRATION_SECONDS

LOAD = 3.0
DRAIN_SECONDS = 1.0  # the scheduler's cap on a stopping task's drain (ecs/fleet.py)
STOP_GRACE_SECONDS = 5.0  # SIGTERM to SIGKILL for a task process (ecs/tasks.py TaskProcess.stop)


def _scaled(seconds: float) -> float:
    return LOAD * seconds


def task_running() -> float:
    """A task started next tick is RUNNING once it listens, or at its registration deadline."""
    return _scaled(2 * TICK_SECONDS + REGISTRATION_SECONDS)


def task_stopped() -> float:
    """A stopping task drains, gets SIGTERM and, after its grace, SIGKILL."""
    return _scaled(2 * TICK_SECONDS + DRAIN_SECONDS + STOP_GRACE_SECONDS)


def healthy(group: dict[str, Any]) -> float:
    """A new target passes `HealthyThresholdCount` checks, `HealthCheckIntervalSeconds` apart."""
    checks = group["HealthCheckIntervalSeconds"] * group["HealthyThresholdCount"]
    return _scaled(checks + group["HealthCheckTimeoutSeconds"])


def task_healthy(group: dict[str, Any]) -> float:
    """A task the scheduler starts is RUNNING, then healthy behind `group`."""
    return task_running() + healthy(group)


def replaced_and_healthy(group: dict[str, Any]) -> float:
    """An old task stops after its replacement is healthy (a rolling update's one step)."""
    return task_healthy(group) + task_stopped()


def crash_loop(failures: int) -> float:
    """`failures` tasks started one after another, each failing before it is registered."""
    return failures * (task_running() + _scaled(FAILURE_BACKOFF_SECONDS))


def drained(deregistration_delay: float) -> float:
    """A deregistered target stays `draining` for the delay, then leaves the target group."""
    return _scaled(deregistration_delay + 2 * TICK_SECONDS)


def firehose_delivered(
    processor_interval: float = 0, destination_interval: float = 0, retries: int = 0
) -> float:
    """A record waits out the processor's buffer, its retries' pauses, then the destination's."""
    from mysfits.local.firehose.transform import backoff

    pauses = sum(backoff(attempt) for attempt in range(1, retries + 1))
    return _scaled(processor_interval + pauses + destination_interval + 4 * TICK_SECONDS + 2)


def click_stream_delivered(buffer_interval: float) -> float:
    """A click sent to module 5's stream, both buffers `buffer_interval` long: the processor's
    environment may start cold (its init phase is bounded by Lambda's limit), then Firehose
    delivers the record."""
    from mysfits.local.lambda_.worker import INIT_LIMIT_SECONDS

    return _scaled(INIT_LIMIT_SECONDS) + firehose_delivered(buffer_interval, buffer_interval)
