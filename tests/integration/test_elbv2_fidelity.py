"""ELBv2 answers as AWS gives them where moto differs: draining targets, network health matchers."""

from __future__ import annotations

from typing import Any

import pytest

from mysfits.workshop import Workshop

from .helpers import poll

pytestmark = pytest.mark.integration


def target_group(ws: Workshop, **health_check: Any) -> str:
    vpc = ws.client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    return str(
        ws.client("elbv2").create_target_group(
            Name=f"{ws.prefix}-tg",
            Protocol="TCP",
            Port=8080,
            TargetType="ip",
            VpcId=vpc,
            **health_check,
        )["TargetGroups"][0]["TargetGroupArn"]
    )


def test_a_deregistered_target_is_listed_as_draining_until_its_delay_ends(ws: Workshop) -> None:
    elbv2, group = ws.client("elbv2"), target_group(ws)
    elbv2.modify_target_group_attributes(
        TargetGroupArn=group,
        Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "2"}],
    )
    elbv2.register_targets(
        TargetGroupArn=group, Targets=[{"Id": "10.9.2.200"}, {"Id": "10.9.3.200"}]
    )
    elbv2.deregister_targets(TargetGroupArn=group, Targets=[{"Id": "10.9.2.200"}])

    def listed() -> dict[str, dict]:
        answer = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
        return {d["Target"]["Id"]: d["TargetHealth"] for d in answer}

    now = listed()
    assert set(now) == {"10.9.2.200", "10.9.3.200"}
    assert (now["10.9.2.200"]["State"], now["10.9.2.200"]["Reason"]) == (
        "draining",
        "Target.DeregistrationInProgress",
    )
    poll(lambda: set(listed()) == {"10.9.3.200"}, 10, "the drained target to leave the listing")
    named = elbv2.describe_target_health(TargetGroupArn=group, Targets=[{"Id": "10.9.2.200"}])
    assert named["TargetHealthDescriptions"][0]["TargetHealth"]["State"] != "draining"
    elbv2.delete_target_group(TargetGroupArn=group)


@pytest.mark.parametrize(("given", "expected"), [(None, "200-399"), ("200", "200")])
def test_a_network_target_group_checked_over_http_accepts_200_to_399_by_default(
    ws: Workshop, given: str | None, expected: str
) -> None:
    matcher = {"Matcher": {"HttpCode": given}} if given else {}
    group = target_group(ws, HealthCheckProtocol="HTTP", HealthCheckPath="/", **matcher)
    described = ws.client("elbv2").describe_target_groups(TargetGroupArns=[group])["TargetGroups"][
        0
    ]
    assert described["Matcher"]["HttpCode"] == expected
    ws.client("elbv2").delete_target_group(TargetGroupArn=group)
