"""Self-healing on the local cloud: a stopped task drains, is replaced, requests keep succeeding.

The real service is deployed as notebook 02 deploys it; the experiment runs through the library
against the load balancer's loopback endpoint.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

import mysfits
from mysfits import cleanup, experiments, fargate, loadbalancer, servicestack
from mysfits.experiments import DRAINING, ENDED, GONE, HEALTHY, STARTED, STOPPED
from mysfits.servicestack import ServiceStack
from mysfits.workshop import Workshop

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def deployed(local_cloud: dict[str, object]) -> Iterator[tuple[Workshop, ServiceStack]]:
    ws = mysfits.connect(
        "local", prefix=f"t{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    try:
        stack = servicestack.ensure_service_stack(ws, desired_count=2, timeout=60)
        loadbalancer.wait_for_healthy_targets(ws, stack.balancer, 2, timeout=60)
        yield ws, stack
    finally:
        cleanup.delete_everything(ws)


def test_stopping_a_task_while_requests_run_keeps_99_percent_and_heals(
    deployed: tuple[Workshop, ServiceStack],
) -> None:
    ws, stack = deployed
    result = experiments.stop_one_task(ws, stack.balancer, duration=90, max_requests=5000)
    share, healed = experiments.check_success_share(result), experiments.check_healed(result)
    assert share.ok, share.evidence
    assert healed.ok, healed.evidence
    at = result.milestones
    assert at[STOPPED] <= at[DRAINING] < at[GONE] and at[STOPPED] <= at[STARTED] < at[HEALTHY]
    assert at[ENDED] < at[GONE]  # the task stops within the deregistration delay (5 s)
    assert result.replacement_task not in {result.victim_task, None}
    table = loadbalancer.target_health_table(ws, stack.balancer, fargate.task_labels(ws))
    assert list(table["state"]) == ["healthy", "healthy"]
    assert result.replacement_target in set(table["target"])
    assert result.victim_target not in set(table["target"])
    print(f"\nself-healing: {share.evidence}; {healed.evidence}")
