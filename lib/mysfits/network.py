"""Module 2, part 1: the core network stack (VPC, subnets, NAT, endpoint, roles), CloudFormation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .checks import Check
from .errors import ResourceNotFound, WorkshopError
from .idioms import Answer, absent_is_none, done_unless
from .inventory import TAG_KEY, Family, Leftover, tagged
from .parameters import require_count
from .stackevents import StackEvents
from .waiting import wait_until
from .workshop import Workshop

# On-demand us-east-1 prices, for the cost notes (NAT gateways dominate the workshop's bill).
NAT_GATEWAY_HOURLY_USD = 0.045
PUBLIC_IPV4_HOURLY_USD = 0.005
_IN_PROGRESS = "_IN_PROGRESS"
# CloudFormation answers ValidationError for many things; its message tells these two apart.
STACK_MISSING = Answer("ValidationError", "does not exist")
NO_UPDATES = Answer("ValidationError", "No updates are to be performed")


class StackFailed(WorkshopError):
    """A stack operation ended in a failed state; the message carries CloudFormation's reasons."""


@dataclass(frozen=True)
class CoreNetwork:
    """The core stack's outputs that later steps need."""

    stack_name: str
    vpc_id: str
    vpc_cidr: str
    public_subnets: tuple[str, str]
    private_subnets: tuple[str, str]
    service_security_group: str
    task_execution_role_arn: str
    task_role_arn: str
    nat_gateways: int

    @property
    def hourly_cost_usd(self) -> float:
        """What the stack's NAT gateways and their public addresses cost per hour on AWS."""
        return round(self.nat_gateways * (NAT_GATEWAY_HOURLY_USD + PUBLIC_IPV4_HOURLY_USD), 3)


def template_body() -> str:
    return resources.files("mysfits").joinpath("templates/core.yml").read_text()


def _stack(ws: Workshop, name: str) -> dict | None:
    cloudformation = ws.client("cloudformation")
    stacks = absent_is_none(
        lambda: cloudformation.describe_stacks(StackName=name)["Stacks"], STACK_MISSING
    )
    return stacks[0] if stacks else None


def _settle(
    ws: Workshop, name: str, what: str, events: StackEvents | None = None, timeout: float = 1800
) -> dict | None:
    """Wait until the stack leaves every *_IN_PROGRESS state; return it (None once deleted).

    `events`, made before the operation started, streams what CloudFormation does meanwhile.
    """
    events = events if events is not None else StackEvents(ws, name)

    def settled() -> dict[str, Any] | None:
        events.poll()  # each new event is written as it arrives
        stack = _stack(ws, name)
        if stack is None:
            return {"StackStatus": "DELETE_COMPLETE"}
        return None if stack["StackStatus"].endswith(_IN_PROGRESS) else stack

    stack: dict[str, Any] = wait_until(
        settled,
        what=what,
        timeout=timeout,
        interval=2,
        progress=events.progress,
        hint=(
            f"See the stack's events: aws cloudformation describe-stack-events --stack-name {name}"
        ),
    )
    return None if stack.get("StackStatus") == "DELETE_COMPLETE" else stack


def _failure_reasons(ws: Workshop, name: str) -> str:
    events = ws.client("cloudformation").describe_stack_events(StackName=name)["StackEvents"]
    reasons = [
        f"{e['LogicalResourceId']}: {e['ResourceStatusReason']}"
        for e in events
        if e["ResourceStatus"].endswith("FAILED") and e.get("ResourceStatusReason")
    ]
    stack = _stack(ws, name)
    if stack is not None and stack.get("StackStatusReason"):
        reasons.insert(0, stack["StackStatusReason"])
    return "; ".join(reasons[:5]) or "no reason recorded"


def _settled_stack(ws: Workshop, name: str) -> dict | None:
    """The stack once no operation runs on it (None if there is none); StackFailed when stuck."""
    stack = _stack(ws, name)
    if stack is not None and stack["StackStatus"].endswith(_IN_PROGRESS):
        stack = _settle(ws, name, f"stack {name} to finish its current operation")
    if stack is not None and stack["StackStatus"] in {"ROLLBACK_COMPLETE", "DELETE_FAILED"}:
        raise StackFailed(
            f"stack {name} is {stack['StackStatus']} and cannot be updated: "
            "delete it (99_cleanup.ipynb or `mysfits cleanup`) and run this step "
            "again"
        )
    return stack


def ensure_core_stack(ws: Workshop, nat_gateways: int = 1) -> CoreNetwork:
    """Create the core stack, or update it when the NAT gateway count changed; its outputs."""
    require_count("nat_gateways", nat_gateways)
    cloudformation, name = ws.client("cloudformation"), ws.names.core_stack
    parameters = [
        {"ParameterKey": "Prefix", "ParameterValue": ws.prefix},
        {"ParameterKey": "NatGateways", "ParameterValue": str(nat_gateways)},
    ]
    request: dict[str, Any] = {
        "StackName": name,
        "TemplateBody": template_body(),
        "Parameters": parameters,
        "Capabilities": ["CAPABILITY_IAM"],
        "Tags": ws.tag_list(),
    }
    exists = _settled_stack(ws, name) is not None
    events = StackEvents(ws, name)  # before the operation, so that none of its events is missed
    if not exists:
        cloudformation.create_stack(**request, OnFailure="ROLLBACK")
    else:
        done_unless(lambda: cloudformation.update_stack(**request), NO_UPDATES)
    stack = _settle(ws, name, f"stack {name}", events)
    if (
        stack is None
        or not stack["StackStatus"].endswith("_COMPLETE")
        or "ROLLBACK" in stack["StackStatus"]
    ):
        raise StackFailed(f"stack {name} failed: {_failure_reasons(ws, name)}")
    return core_network(ws)


def core_network(ws: Workshop) -> CoreNetwork:
    """Find the core stack's outputs (the stack must exist: run notebook 02 first)."""
    stack = _stack(ws, ws.names.core_stack)
    if stack is None:
        raise ResourceNotFound(
            f"no stack {ws.names.core_stack}: run notebook 02 (the core network step) first"
        )
    out = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return CoreNetwork(
        stack_name=ws.names.core_stack,
        vpc_id=out["VpcId"],
        vpc_cidr=out["VpcCidr"],
        public_subnets=(out["PublicSubnetOne"], out["PublicSubnetTwo"]),
        private_subnets=(out["PrivateSubnetOne"], out["PrivateSubnetTwo"]),
        service_security_group=out["ServiceSecurityGroup"],
        task_execution_role_arn=out["TaskExecutionRoleArn"],
        task_role_arn=out["TaskRoleArn"],
        nat_gateways=int(out["NatGatewayCount"]),
    )


def check_core_network(ws: Workshop, network: CoreNetwork) -> Check:
    """The VPC, its four subnets in two zones and the NAT gateways exist as the outputs say."""
    ec2 = ws.client("ec2")
    subnets = ec2.describe_subnets(SubnetIds=[*network.public_subnets, *network.private_subnets])[
        "Subnets"
    ]
    zones = {s["AvailabilityZone"] for s in subnets}
    nats = ec2.describe_nat_gateways(
        Filters=[
            {"Name": "vpc-id", "Values": [network.vpc_id]},
            {"Name": "state", "Values": ["available", "pending"]},
        ]
    )["NatGateways"]
    ok = (
        len(subnets) == 4
        and len(zones) == 2
        and all(s["VpcId"] == network.vpc_id for s in subnets)
        and len(nats) == network.nat_gateways
    )
    evidence = (
        f"{len(subnets)} subnets in {len(zones)} zones of {network.vpc_id}; "
        f"{len(nats)} NAT gateway(s)"
    )
    return Check("core network matches the stack outputs", ok, evidence)


def delete_core_stack(ws: Workshop) -> bool:
    """Delete the core stack and wait; False if there was none; StackFailed if it cannot go."""
    name = ws.names.core_stack
    if _stack(ws, name) is None:
        return False
    events = StackEvents(ws, name)
    ws.client("cloudformation").delete_stack(StackName=name)
    stack = _settle(ws, name, f"stack {name} to be deleted", events)
    if stack is not None:
        raise StackFailed(
            f"stack {name} could not be deleted ({stack['StackStatus']}): "
            f"{_failure_reasons(ws, name)}"
        )
    return True


# -- cleanup: the core stack and what it made (VPC, NAT gateways, addresses, roles) ------------


def _stacks(ws: Workshop) -> Iterator[Leftover]:
    for page in ws.client("cloudformation").get_paginator("describe_stacks").paginate():
        for stack in page["Stacks"]:
            name = stack["StackName"]
            if name == ws.names.core_stack or tagged(stack.get("Tags", []), ws.prefix):
                yield Leftover("cloudformation stack", name)


def _tagged_only(ws: Workshop, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Tags are checked here too: not every API (nor the local cloud) honours a tag filter.
    return [r for r in resources if tagged(r.get("Tags", []), ws.prefix)]


def _vpc_resources(ws: Workshop) -> Iterator[Leftover]:
    ec2, tag_filter = ws.client("ec2"), [{"Name": f"tag:{TAG_KEY}", "Values": [ws.prefix]}]
    for vpc in _tagged_only(ws, ec2.describe_vpcs(Filters=tag_filter)["Vpcs"]):
        yield Leftover("vpc", vpc["VpcId"])
    nats = _tagged_only(ws, ec2.describe_nat_gateways(Filter=tag_filter)["NatGateways"])
    for nat in nats:
        if nat["State"] not in {"deleted", "deleting", "failed"}:
            yield Leftover("nat gateway", nat["NatGatewayId"], NAT_GATEWAY_HOURLY_USD)
    # An address is the workshop's when tagged, or when one of its NAT gateways (even a deleted
    # one) used it.
    used = {a.get("AllocationId") for nat in nats for a in nat.get("NatGatewayAddresses", [])}
    used.discard(None)
    for address in ec2.describe_addresses()["Addresses"]:
        if address.get("AllocationId") in used or tagged(address.get("Tags", []), ws.prefix):
            shown = address.get("PublicIp", address["AllocationId"])
            yield Leftover("elastic ip", shown, PUBLIC_IPV4_HOURLY_USD)


def _stack_roles(ws: Workshop) -> Iterator[Leftover]:
    for page in ws.client("iam").get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if role["RoleName"].startswith(f"{ws.names.core_stack}-"):
                yield Leftover("iam role", role["RoleName"])


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The prefix's stacks, the VPC, NAT gateways, addresses, and the roles the core stack made."""
    yield from _stacks(ws)
    yield from _vpc_resources(ws)
    yield from _stack_roles(ws)


# Last of all in cleanup: its NAT gateways, addresses and VPC go with it.
CLEANUP = Family(leftovers, steps=(("core stack", delete_core_stack),))
