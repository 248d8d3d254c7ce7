"""Bad counts fail at once in the library too, before any AWS call (no waiting for a timeout)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from mysfits import fargate, network, servicestack
from mysfits.parameters import InvalidParameters
from mysfits.workshop import Workshop


@pytest.fixture
def ws() -> Workshop:
    """A workshop whose every client call fails the test: the guards must stop before one."""
    session = boto3.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1"
    )
    workshop = Workshop("aws", "us-east-1", "guard", session, "123456789012")

    def no_calls(service: str) -> Any:
        pytest.fail(f"a {service} client was asked for before the parameters were checked")

    workshop.client = no_calls  # type: ignore[method-assign]
    return workshop


@pytest.mark.parametrize("count", [0, 11, -1, 2.0])
def test_ensure_service_refuses_a_bad_desired_count(ws: Workshop, count: object) -> None:
    with pytest.raises(InvalidParameters, match="desired_count=.*from 1 to 10"):
        fargate.ensure_service(ws, None, None, "arn:task", desired_count=count)  # type: ignore[arg-type]


@pytest.mark.parametrize("count", [0, 3])
def test_core_stack_refuses_a_bad_nat_gateway_count(ws: Workshop, count: int) -> None:
    with pytest.raises(InvalidParameters, match=f"nat_gateways={count}: use a whole number from 1"):
        network.ensure_core_stack(ws, nat_gateways=count)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [({"desired_count": 0}, "desired_count"), ({"nat_gateways": 5}, "nat_gateways")],
)
def test_service_stack_refuses_bad_counts_before_creating_anything(
    ws: Workshop, kwargs: dict[str, int], named: str
) -> None:
    with pytest.raises(InvalidParameters, match=named):
        servicestack.ensure_service_stack(ws, **kwargs)
