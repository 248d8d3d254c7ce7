"""Module 2, part 1: the core network stack (VPC, subnets, NAT, endpoint, roles), CloudFormation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .checks import Check
from .errors import ResourceNotFound
from .idioms import done_unless
from .inventory import TAG_KEY, Family, Leftover, tagged
from .parameters import require_count
from .stackevents import StackEvents
from .stacks import NO_UPDATES, StackFailed
from .stacks import delete_stack as _delete_stack
from .stacks import describe as _stack
from .stacks import failure_reasons as _failure_reasons
from .stacks import settle as _settle
from .stacks import settled_stack as _settled_stack
from .workshop import Workshop

# On-demand us-east-1 prices, for the cost notes (NAT gateways dominate the workshop's bill).
NAT_GATEWAY_HOURLY_USD = 0.045
PUBLIC_IPV4_HOURLY_USD = 0.005


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
    return _delete_stack(ws, ws.names.core_stack)


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
