"""check_healthy_targets passes on exactly the wanted healthy targets and fails on anything else.

Elastic Load Balancing runs in-process (moto), which reports every registered target healthy;
a failing health check is moto's description with the state AWS reports, through a stubbed client.
"""

from __future__ import annotations

import pytest

from mysfits import loadbalancer
from mysfits.workshop import Workshop

from .fakes import stub


@pytest.fixture
def balancer(ws: Workshop) -> loadbalancer.LoadBalancer:
    vpc = ws.client("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    group = ws.client("elbv2").create_target_group(
        Name=ws.names.target_group,
        Protocol="TCP",
        Port=loadbalancer.SERVICE_PORT,
        VpcId=vpc,
        TargetType="ip",
    )["TargetGroups"][0]
    return loadbalancer.LoadBalancer(
        "arn:nlb",
        "nlb.example",
        group["TargetGroupArn"],
        "arn:listener",
        "http://nlb.example",
        "http://127.0.0.1:1",
    )


def _register(ws: Workshop, balancer: loadbalancer.LoadBalancer, *ips: str) -> None:
    ws.client("elbv2").register_targets(
        TargetGroupArn=balancer.target_group_arn,
        Targets=[{"Id": ip, "Port": loadbalancer.SERVICE_PORT} for ip in ips],
    )


def test_healthy_targets_pass_with_both_tasks_healthy(
    ws: Workshop, balancer: loadbalancer.LoadBalancer
) -> None:
    _register(ws, balancer, "10.0.2.10", "10.0.3.11")
    check = loadbalancer.check_healthy_targets(ws, balancer, 2)
    assert check.ok and check.evidence == "target states: ['healthy', 'healthy']"


def test_healthy_targets_fail_when_a_task_is_missing(
    ws: Workshop, balancer: loadbalancer.LoadBalancer
) -> None:
    _register(ws, balancer, "10.0.2.10")
    check = loadbalancer.check_healthy_targets(ws, balancer, 2)
    assert not check.ok and check.evidence == "target states: ['healthy']"


def test_healthy_targets_fail_when_a_task_fails_its_health_checks(
    ws: Workshop, balancer: loadbalancer.LoadBalancer
) -> None:
    _register(ws, balancer, "10.0.2.10", "10.0.3.11")
    reported = ws.client("elbv2").describe_target_health(TargetGroupArn=balancer.target_group_arn)
    reported.pop("ResponseMetadata")
    reported["TargetHealthDescriptions"][1]["TargetHealth"] = {
        "State": "unhealthy",
        "Reason": "Target.FailedHealthChecks",
        "Description": "Health checks failed",
    }
    elbv2 = stub(ws, "elbv2")
    elbv2.add_response(
        "describe_target_health", reported, {"TargetGroupArn": balancer.target_group_arn}
    )
    check = loadbalancer.check_healthy_targets(ws, balancer, 2)
    assert not check.ok and check.evidence == "target states: ['healthy', 'unhealthy']"
    elbv2.assert_no_pending_responses()


def test_healthy_targets_fail_with_a_task_too_many(
    ws: Workshop, balancer: loadbalancer.LoadBalancer
) -> None:
    # A rollout left an old task registered: two healthy is not "exactly the service's two".
    _register(ws, balancer, "10.0.2.10", "10.0.3.11", "10.0.2.12")
    check = loadbalancer.check_healthy_targets(ws, balancer, 2)
    assert not check.ok and check.evidence == "target states: ['healthy', 'healthy', 'healthy']"
