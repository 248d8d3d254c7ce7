"""Self-healing on the local cloud: a stopped task drains, is replaced, and requests keep succeeding.

The real service is deployed as notebook 02 deploys it; the experiment runs through the library
against the load balancer's loopback endpoint. A separate target group shows the `draining`
state DescribeTargetHealth lists for the deregistration delay.
"""

from __future__ import annotations

import uuid
from typing import Iterator

import pytest

import mysfits
from mysfits import cleanup, experiments, fargate, loadbalancer, network, servicestack
from mysfits.experiments import DRAINING, ENDED, GONE, HEALTHY, STARTED, STOPPED
from mysfits.servicestack import ServiceStack
from mysfits.workshop import Workshop

from .helpers import poll

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def deployed(local_cloud: dict[str, object]) -> Iterator[tuple[Workshop, ServiceStack]]:
    ws = mysfits.connect("local", prefix=f"t{uuid.uuid4().hex[:8]}",
                         endpoint_url=str(local_cloud["endpoint_url"]))
    try:
        stack = servicestack.ensure_service_stack(ws, desired_count=2, timeout=60)
        loadbalancer.wait_for_healthy_targets(ws, stack.balancer, 2, timeout=60)
        yield ws, stack
    finally:
        cleanup.delete_everything(ws)


def test_stopping_a_task_while_requests_run_keeps_99_percent_and_heals(
        deployed: tuple[Workshop, ServiceStack]) -> None:
    ws, stack = deployed
    result = experiments.stop_one_task(ws, stack.balancer, duration=90, max_requests=5000)
    share, healed = experiments.check_success_share(result), experiments.check_healed(result)
    assert share.ok, share.evidence
    assert healed.ok, healed.evidence
    at = result.milestones
    assert at[STOPPED] <= at[DRAINING] < at[GONE] and at[STOPPED] <= at[STARTED] < at[HEALTHY]
    assert at[ENDED] < at[GONE]  # the task stops within the deregistration delay (10 s)
    assert result.replacement_task not in {result.victim_task, None}
    table = loadbalancer.target_health_table(ws, stack.balancer, fargate.task_labels(ws))
    assert list(table["state"]) == ["healthy", "healthy"]
    assert result.replacement_target in set(table["target"])
    assert result.victim_target not in set(table["target"])
    print(f"\nself-healing: {share.evidence}; {healed.evidence}")


def test_a_deregistered_target_is_listed_as_draining_until_its_delay_ends(
        deployed: tuple[Workshop, ServiceStack]) -> None:
    ws, elbv2 = deployed[0], deployed[0].client("elbv2")
    group = elbv2.create_target_group(
        Name=f"{ws.prefix}-drain", Protocol="TCP", Port=8080, TargetType="ip",
        VpcId=network.core_network(ws).vpc_id)["TargetGroups"][0]["TargetGroupArn"]
    elbv2.modify_target_group_attributes(TargetGroupArn=group, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": "2"}])
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.2.200"}, {"Id": "10.0.3.200"}])
    elbv2.deregister_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.2.200"}])

    def listed() -> dict[str, dict]:
        answer = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        return {d["Target"]["Id"]: d["TargetHealth"] for d in answer}

    draining = listed()["10.0.2.200"]
    assert (draining["State"], draining["Reason"]) == ("draining", "Target.DeregistrationInProgress")
    assert set(listed()) == {"10.0.2.200", "10.0.3.200"}
    poll(lambda: set(listed()) == {"10.0.3.200"}, 10, "the drained target to leave the listing")
    named = elbv2.describe_target_health(TargetGroupArn=group, Targets=[{"Id": "10.0.2.200"}])
    assert named["TargetHealthDescriptions"][0]["TargetHealth"]["State"] != "draining"
    elbv2.delete_target_group(TargetGroupArn=group)
