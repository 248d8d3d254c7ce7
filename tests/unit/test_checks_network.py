"""check_core_network compares the VPC with the stack's outputs (EC2 in-process, moto)."""

from __future__ import annotations

import dataclasses

from mysfits import network
from mysfits.workshop import Workshop


def _network(
    ws: Workshop, zones: tuple[str, str] = ("us-east-1a", "us-east-1b"), nats: int = 1
) -> network.CoreNetwork:
    """What the core stack builds: a VPC, a public and a private subnet per zone, NAT gateways."""
    ec2 = ws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=zones[n % 2])[
            "Subnet"
        ]["SubnetId"]
        for n in range(4)
    ]
    for subnet in subnets[:nats]:
        address = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.create_nat_gateway(SubnetId=subnet, AllocationId=address)
    return network.CoreNetwork(
        stack_name=ws.names.core_stack,
        vpc_id=vpc,
        vpc_cidr="10.0.0.0/16",
        public_subnets=(subnets[0], subnets[1]),
        private_subnets=(subnets[2], subnets[3]),
        service_security_group="sg-1",
        task_execution_role_arn="arn:exec",
        task_role_arn="arn:task",
        nat_gateways=nats,
    )


def test_core_network_passes_when_it_matches_the_outputs(ws: Workshop) -> None:
    core = _network(ws)
    check = network.check_core_network(ws, core)
    assert check.ok and check.evidence == f"4 subnets in 2 zones of {core.vpc_id}; 1 NAT gateway(s)"


def test_core_network_fails_when_the_nat_gateway_was_deleted(ws: Workshop) -> None:
    core = _network(ws)
    ec2 = ws.client("ec2")
    for nat in ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [core.vpc_id]}])[
        "NatGateways"
    ]:
        ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    check = network.check_core_network(ws, core)
    assert not check.ok and check.evidence.endswith("0 NAT gateway(s)")


def test_core_network_fails_when_a_second_nat_gateway_is_missing(ws: Workshop) -> None:
    core = dataclasses.replace(
        _network(ws), nat_gateways=2
    )  # the stack was updated to two; one exists
    assert not network.check_core_network(ws, core).ok


def test_core_network_fails_with_every_subnet_in_one_zone(ws: Workshop) -> None:
    core = _network(ws, zones=("us-east-1a", "us-east-1a"))
    check = network.check_core_network(ws, core)
    assert not check.ok and check.evidence.startswith("4 subnets in 1 zones")
