"""A local cloud for the integration tests, started through the real CLI in its own home."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

import mysfits
from mysfits.workshop import Workshop


def cli_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a `mysfits` command that uses the local cloud kept in `home`."""
    env = {k: v for k, v in os.environ.items() if k != "MYSFITS_ENDPOINT_URL"}
    env["MYSFITS_HOME"] = str(home)
    return {**env, **(extra or {})}


def mysfits_cli(
    home: Path, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mysfits.cli", *args],
        env=cli_env(home, env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def running_cloud(home: Path, env: dict[str, str] | None = None) -> Iterator[dict[str, object]]:
    """A local cloud kept in `home` (its process gets `env` too), started through the CLI and
    stopped afterwards; its status."""
    started = mysfits_cli(home, "local", "start", "--detach", "--port", "0", env=env)
    assert started.returncode == 0, started.stderr
    try:
        yield {"home": home, **json.loads(mysfits_cli(home, "local", "status").stdout)}
    finally:
        mysfits_cli(home, "local", "stop")


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    with running_cloud(tmp_path_factory.mktemp("cloud-home")) as cloud:
        yield cloud


@pytest.fixture
def ws(local_cloud: dict[str, object]) -> Workshop:
    """A workshop with a prefix of its own, so tests never see each other's resources."""
    prefix = f"t{uuid.uuid4().hex[:8]}"
    return mysfits.connect("local", prefix=prefix, endpoint_url=str(local_cloud["endpoint_url"]))


@dataclass(frozen=True)
class GuardedService:
    """The Mysfits service (one task) behind an NLB created with a security group, as module 2
    creates it from module 4 on: TCP 80 open to 0.0.0.0/0 until module 4 closes the direct path."""

    ws: Workshop
    vpc_cidr: str
    balancer_arn: str
    group_id: str
    nlb_url: str  # the NLB's public listener on loopback


OPEN_80 = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


@pytest.fixture(scope="session")
def guarded_service(local_cloud: dict[str, object]) -> Iterator[GuardedService]:
    """Deployed once for the session (API Gateway and NLB security-group tests share it)."""
    from mysfits import cleanup

    from .servicestack import deploy_service, seeded_table

    ws = mysfits.connect(
        "local", prefix=f"g{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    try:
        deployed = deploy_service(ws, seeded_table(ws), desired=1)  # likes are counted in the table
        core, service_balancer = deployed.core, deployed.balancer
        ec2, elbv2 = ws.client("ec2"), ws.client("elbv2")
        # A group of its own: module 2's `{prefix}-nlb` belongs to the service's NLB.
        group_id = ec2.create_security_group(
            GroupName=f"{ws.prefix}-guard", Description="NLB", VpcId=core.vpc_id
        )["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[OPEN_80])
        balancer = elbv2.create_load_balancer(
            Name=f"{ws.prefix}-guarded",
            Type="network",
            Scheme="internet-facing",
            Subnets=list(core.public_subnets),
            SecurityGroups=[group_id],
        )["LoadBalancers"][0]
        elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol="TCP",
            Port=80,
            DefaultActions=[
                {"Type": "forward", "TargetGroupArn": service_balancer.target_group_arn}
            ],
        )
        url = ws.url(f"http://{balancer['DNSName']}")
        yield GuardedService(
            ws, core.vpc_cidr, balancer["LoadBalancerArn"], group_id, url.rstrip("/")
        )
    finally:
        _delete_guard(ws)
        cleanup.delete_everything(ws)


def _delete_guard(ws: Workshop) -> None:
    """The extra NLB and its group, which the cleanup families do not know."""
    elbv2, ec2 = ws.client("elbv2"), ws.client("ec2")
    for balancer in elbv2.describe_load_balancers()["LoadBalancers"]:
        if balancer["LoadBalancerName"] == f"{ws.prefix}-guarded":
            elbv2.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"{ws.prefix}-guard"]}]
    )["SecurityGroups"]
    for group in groups:
        ec2.delete_security_group(GroupId=group["GroupId"])
