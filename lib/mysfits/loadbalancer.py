"""Module 2, part 3: the Network Load Balancer, its security group, target group, TCP listener."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from . import nlbaccess
from .checks import Check
from .idioms import absent_is_none
from .inventory import Family, Leftover
from .network import CoreNetwork
from .waiting import Progress, wait_until
from .workshop import Workshop

SERVICE_PORT = 8080
LISTENER_PORT = 80
NLB_HOURLY_USD = 0.0225  # plus capacity units for traffic; us-east-1 on-demand


@dataclass(frozen=True)
class LoadBalancer:
    """The NLB in front of the service: ARNs, its AWS URL and where it is reachable from here."""

    arn: str
    dns_name: str
    target_group_arn: str
    listener_arn: str
    aws_url: str
    url: str
    security_groups: tuple[str, ...] = ()
    replaced: str = ""  # why an older load balancer was replaced by this one ("": it was not)


def _find(ws: Workshop, call: str, key: str, name: str, missing: str) -> dict | None:
    """The named load balancer or target group, or None when ELB answers `missing`."""
    return absent_is_none(lambda: getattr(ws.client("elbv2"), call)(Names=[name])[key][0], missing)


def find_load_balancer(ws: Workshop) -> dict | None:
    """The workshop's load balancer, or None."""
    return _find(
        ws,
        "describe_load_balancers",
        "LoadBalancers",
        ws.names.load_balancer,
        "LoadBalancerNotFound",
    )


def find_target_group(ws: Workshop) -> dict | None:
    """The workshop's target group, or None."""
    return _find(
        ws, "describe_target_groups", "TargetGroups", ws.names.target_group, "TargetGroupNotFound"
    )


# Why an NLB without a security group is replaced rather than kept.
REPLACED_WITHOUT_GROUP = (
    "the load balancer had no security group, and AWS adds one only at creation; module 4 closes "
    "the public path with it, so a new load balancer with the group took its place (same target "
    "group, so the ECS service keeps its tasks registered; the DNS name is new)"
)


def _create_balancer(ws: Workshop, network: CoreNetwork, group_id: str) -> dict:
    return ws.client("elbv2").create_load_balancer(
        Name=ws.names.load_balancer,
        Type="network",
        Scheme="internet-facing",
        Subnets=list(network.public_subnets),
        SecurityGroups=[group_id],
        Tags=ws.tag_list(),
    )["LoadBalancers"][0]


def _balancer_with_group(ws: Workshop, network: CoreNetwork) -> tuple[dict, str]:
    """The NLB, with its security group; one made without a group is replaced (and why)."""
    found = find_load_balancer(ws)
    closed = found is not None and nlbaccess.direct_path_closed(ws, found["LoadBalancerArn"])
    group_id = nlbaccess.ensure_security_group(ws, network.vpc_id, public=not closed)
    if found is not None and found.get("SecurityGroups"):
        return found, ""
    if found is not None:
        _delete_balancer(ws, found)
    return _create_balancer(ws, network, group_id), REPLACED_WITHOUT_GROUP if found else ""


DEREGISTRATION_DELAY = "deregistration_delay.timeout_seconds"
DRAIN_SECONDS = 5


def ensure_load_balancer(ws: Workshop, network: CoreNetwork) -> LoadBalancer:
    """Create (or find) the internet-facing NLB with its security group, the IP target group and
    the TCP 80 listener.

    The security group admits TCP 80 from anywhere until module 4 closes that path (a tag on the
    NLB says so, and then it stays closed). An NLB from older code without a security group is
    replaced: AWS lets an NLB have security groups only if it was created with one.
    """
    elbv2 = ws.client("elbv2")
    balancer, replaced = _balancer_with_group(ws, network)
    group = (
        find_target_group(ws)
        or elbv2.create_target_group(
            Name=ws.names.target_group,
            Protocol="TCP",
            Port=SERVICE_PORT,
            VpcId=network.vpc_id,
            TargetType="ip",
            HealthCheckProtocol="HTTP",
            HealthCheckPath="/",
            HealthCheckIntervalSeconds=5,
            HealthCheckTimeoutSeconds=4,
            HealthyThresholdCount=2,
            UnhealthyThresholdCount=2,
            Tags=ws.tag_list(),
        )["TargetGroups"][0]
    )
    # Short draining: a rolling deploy replaces tasks in seconds rather than five minutes. 5 s is
    # what ECS's best practices advise for a service that answers in under a second (AWS accepts
    # 0-3600, default 300); 0 would stop a task with no time for requests already under way.
    elbv2.modify_target_group_attributes(
        TargetGroupArn=group["TargetGroupArn"],
        Attributes=[{"Key": DEREGISTRATION_DELAY, "Value": str(DRAIN_SECONDS)}],
    )
    listeners = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    existing = next((each for each in listeners if each["Port"] == LISTENER_PORT), None)
    listener = (
        existing
        or elbv2.create_listener(
            LoadBalancerArn=balancer["LoadBalancerArn"],
            Protocol="TCP",
            Port=LISTENER_PORT,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}],
            Tags=ws.tag_list(),
        )["Listeners"][0]
    )
    aws_url = f"http://{balancer['DNSName']}"
    return LoadBalancer(
        balancer["LoadBalancerArn"],
        balancer["DNSName"],
        group["TargetGroupArn"],
        listener["ListenerArn"],
        aws_url,
        ws.url(aws_url),
        tuple(balancer.get("SecurityGroups", [])),
        replaced,
    )


def target_health(ws: Workshop, balancer: LoadBalancer) -> list[dict]:
    """What the target group's health checks currently report for each target."""
    return ws.client("elbv2").describe_target_health(TargetGroupArn=balancer.target_group_arn)[
        "TargetHealthDescriptions"
    ]


HEALTH_COLUMNS = ["target", "port", "state", "reason", "description"]


def health_rows(descriptions: list[dict], labels: dict[str, str] | None = None) -> pd.DataFrame:
    """DescribeTargetHealth's answer as a table, a row per target (`labels` names target ids)."""
    rows = [
        {
            "target": d["Target"]["Id"],
            "port": d["Target"].get("Port"),
            "state": d["TargetHealth"]["State"],
            "reason": d["TargetHealth"].get("Reason", ""),
            "description": d["TargetHealth"].get("Description", ""),
        }
        for d in descriptions
    ]
    table = pd.DataFrame(rows, columns=HEALTH_COLUMNS)
    if labels is not None:
        table.insert(1, "task", [labels.get(target, "") for target in table["target"]])
    return table.sort_values(["state", "target"], ignore_index=True)


def target_health_table(
    ws: Workshop, balancer: LoadBalancer, labels: dict[str, str] | None = None
) -> pd.DataFrame:
    """Every target the group lists now (draining ones included): port, state and reason."""
    return health_rows(target_health(ws, balancer), labels)


def health_check_settings(ws: Workshop, balancer: LoadBalancer) -> pd.Series:
    """How the target group decides health, and how long a removed target drains."""
    elbv2 = ws.client("elbv2")
    arn = balancer.target_group_arn
    group = elbv2.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    }
    return pd.Series(
        {
            "check": f"{group['HealthCheckProtocol']} GET {group.get('HealthCheckPath', '')} "
            f"on port {group['HealthCheckPort']}",
            "interval (s)": group["HealthCheckIntervalSeconds"],
            "timeout (s)": group["HealthCheckTimeoutSeconds"],
            "healthy after (passes in a row)": group["HealthyThresholdCount"],
            "unhealthy after (failures in a row)": group["UnhealthyThresholdCount"],
            "healthy status codes": group.get("Matcher", {}).get("HttpCode", "200-399"),
            "deregistration delay (s)": int(attributes.get(DEREGISTRATION_DELAY, 300)),
        },
        name=ws.names.target_group,
    )


def wait_for_healthy_targets(
    ws: Workshop, balancer: LoadBalancer, count: int, timeout: float = 600
) -> list[dict]:
    """Wait until the group lists exactly `count` targets, all healthy (none still draining)."""
    seen: list[dict] = []

    def ready() -> list[dict] | None:
        seen[:] = target_health(ws, balancer)
        healthy = [t for t in seen if t["TargetHealth"]["State"] == "healthy"]
        return healthy if len(healthy) == count == len(seen) else None

    def progress() -> Progress:
        states = [t["TargetHealth"]["State"] for t in seen]
        registered = f"{len(states)} registered"
        return Progress(states.count("healthy"), count, "healthy targets", registered)

    return wait_until(
        ready,
        what=f"{count} healthy targets",
        timeout=timeout,
        interval=2,
        progress=progress,
        hint=(
            "Look at the service's events and logs: "
            "a task that cannot answer GET / never gets healthy."
        ),
    )


def check_healthy_targets(ws: Workshop, balancer: LoadBalancer, count: int) -> Check:
    states = [t["TargetHealth"]["State"] for t in target_health(ws, balancer)]
    return Check(
        f"{count} healthy targets behind the load balancer",
        states.count("healthy") == count == len(states),
        f"target states: {states}",
    )


def _delete_balancer(ws: Workshop, balancer: dict) -> None:
    """Delete the NLB (its listeners go with it) and wait until it is gone."""
    elbv2 = ws.client("elbv2")
    elbv2.delete_load_balancer(LoadBalancerArn=balancer["LoadBalancerArn"])
    elbv2.get_waiter("load_balancers_deleted").wait(
        LoadBalancerArns=[balancer["LoadBalancerArn"]],
        WaiterConfig={"Delay": 2, "MaxAttempts": 150},
    )


def delete_load_balancer(ws: Workshop) -> list[str]:
    """Delete the load balancer, wait until it is gone, then the target group; return what went."""
    elbv2, deleted = ws.client("elbv2"), []
    balancer = find_load_balancer(ws)
    if balancer is not None:
        _delete_balancer(ws, balancer)
        deleted.append(balancer["LoadBalancerName"])
    group = find_target_group(ws)
    if group is not None:
        elbv2.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
        deleted.append(group["TargetGroupName"])
    return deleted


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The load balancer (it bills per hour), the target group and the NLB's security group."""
    if find_load_balancer(ws) is not None:
        yield Leftover("load balancer", ws.names.load_balancer, NLB_HOURLY_USD)
    if find_target_group(ws) is not None:
        yield Leftover("target group", ws.names.target_group)
    yield from nlbaccess.leftovers(ws)


# The security group after the NLB that uses it (AWS refuses while the NLB holds it), and before
# the core stack, whose VPC cannot go while the group is in it.
CLEANUP = Family(
    leftovers,
    steps=(
        ("load balancer and target group", delete_load_balancer),
        ("load balancer security group", nlbaccess.delete_security_group),
    ),
)
