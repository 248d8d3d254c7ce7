"""The target-health table and the health-check settings, built from stubbed ELB answers."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from mysfits import loadbalancer
from mysfits.loadbalancer import LoadBalancer
from mysfits.workshop import Workshop

GROUP_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/p-tg/0123456789abcdef"
BALANCER = LoadBalancer(
    "arn:lb",
    "p-nlb-1.elb.us-east-1.amazonaws.com",
    GROUP_ARN,
    "arn:listener",
    "http://p-nlb-1.elb.us-east-1.amazonaws.com",
    "http://127.0.0.1:9",
)


def described(ip: str, state: str, reason: str | None = None, zone: str = "us-east-1a") -> dict:
    health = {
        "State": state,
        **({"Reason": reason, "Description": f"{reason} text"} if reason else {}),
    }
    return {
        "Target": {"Id": ip, "Port": 8080, "AvailabilityZone": zone},
        "HealthCheckPort": "traffic-port",
        "TargetHealth": health,
    }


@pytest.fixture
def stubbed() -> Iterator[tuple[Workshop, Stubber]]:
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    ws = Workshop("aws", "us-east-1", "p", session, "123456789012")
    client = session.client("elbv2")
    ws._clients["elbv2"] = client
    with Stubber(client) as stubber:
        yield ws, stubber
        stubber.assert_no_pending_responses()


def test_the_table_shows_each_target_with_its_state_and_reason(
    stubbed: tuple[Workshop, Stubber],
) -> None:
    ws, stubber = stubbed
    stubber.add_response(
        "describe_target_health",
        {
            "TargetHealthDescriptions": [
                described("10.0.3.9", "initial", "Elb.InitialHealthChecking", "us-east-1b"),
                described("10.0.2.7", "healthy"),
                described("10.0.2.5", "draining", "Target.DeregistrationInProgress"),
            ]
        },
        {"TargetGroupArn": GROUP_ARN},
    )
    table = loadbalancer.target_health_table(ws, BALANCER, {"10.0.2.7": "aaa (RUNNING)"})
    assert list(table.columns) == [
        "target",
        "task",
        "port",
        "state",
        "reason",
        "description",
    ]
    assert table.to_dict("records") == [
        {
            "target": "10.0.2.5",
            "task": "",
            "port": 8080,
            "state": "draining",
            "reason": "Target.DeregistrationInProgress",
            "description": "Target.DeregistrationInProgress text",
        },
        {
            "target": "10.0.2.7",
            "task": "aaa (RUNNING)",
            "port": 8080,
            "state": "healthy",
            "reason": "",
            "description": "",
        },
        {
            "target": "10.0.3.9",
            "task": "",
            "port": 8080,
            "state": "initial",
            "reason": "Elb.InitialHealthChecking",
            "description": "Elb.InitialHealthChecking text",
        },
    ]


def test_an_empty_group_gives_an_empty_table_with_the_columns() -> None:
    table = loadbalancer.health_rows([])
    assert table.empty and list(table.columns) == loadbalancer.HEALTH_COLUMNS


def test_the_settings_show_thresholds_and_the_deregistration_delay(
    stubbed: tuple[Workshop, Stubber],
) -> None:
    ws, stubber = stubbed
    stubber.add_response(
        "describe_target_groups",
        {
            "TargetGroups": [
                {
                    "TargetGroupArn": GROUP_ARN,
                    "TargetGroupName": "p-tg",
                    "HealthCheckProtocol": "HTTP",
                    "HealthCheckPort": "traffic-port",
                    "HealthCheckPath": "/",
                    "HealthCheckIntervalSeconds": 5,
                    "HealthCheckTimeoutSeconds": 4,
                    "HealthyThresholdCount": 2,
                    "UnhealthyThresholdCount": 2,
                    "Matcher": {"HttpCode": "200-399"},
                }
            ]
        },
        {"TargetGroupArns": [GROUP_ARN]},
    )
    stubber.add_response(
        "describe_target_group_attributes",
        {"Attributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "10"}]},
        {"TargetGroupArn": GROUP_ARN},
    )
    settings = loadbalancer.health_check_settings(ws, BALANCER)
    assert settings.name == "p-tg"
    assert settings.to_dict() == {
        "check": "HTTP GET / on port traffic-port",
        "interval (s)": 5,
        "timeout (s)": 4,
        "healthy after (passes in a row)": 2,
        "unhealthy after (failures in a row)": 2,
        "healthy status codes": "200-399",
        "deregistration delay (s)": 10,
    }
