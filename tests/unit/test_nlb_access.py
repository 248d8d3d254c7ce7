"""The NLB's security group: module 2 creates the NLB with it (and replaces one made without),
module 4 closes the direct path and module 2 run again keeps it closed; the direct-path check
fails while the NLB still answers or its group still admits the internet.

EC2 and Elastic Load Balancing run in-process (moto); the NLB's address is a loopback server
(open) or a port nobody listens on (closed).
"""

from __future__ import annotations

import dataclasses
import socket

import pytest

from mysfits import loadbalancer, nlbaccess
from mysfits.network import CoreNetwork
from mysfits.workshop import Workshop

from .fakes import http_server


@pytest.fixture
def core(ws: Workshop) -> CoreNetwork:
    ec2 = ws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24", AvailabilityZone=f"us-east-1{z}")[
            "Subnet"
        ]["SubnetId"]
        for n, z in ((0, "a"), (1, "b"), (2, "a"), (3, "b"))
    ]
    return CoreNetwork(
        "unit-core",
        vpc,
        "10.0.0.0/16",
        (subnets[0], subnets[1]),
        (subnets[2], subnets[3]),
        "sg-service",
        "arn:aws:iam::123456789012:role/execution",
        "arn:aws:iam::123456789012:role/task",
        1,
    )


def _closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"  # nobody listens once it closes


def test_module_2_creates_the_nlb_with_a_group_admitting_the_listener_from_anywhere(
    ws: Workshop, core: CoreNetwork
) -> None:
    balancer = loadbalancer.ensure_load_balancer(ws, core)
    group = nlbaccess.find_security_group(ws, core.vpc_id)
    assert group is not None and balancer.security_groups == (group["GroupId"],)
    assert nlbaccess.admits_internet(group) and balancer.replaced == ""
    tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
    assert tags["mysfits:role"] == "nlb" and tags["workshop-prefix"] == ws.prefix
    again = loadbalancer.ensure_load_balancer(ws, core)
    assert again == balancer  # found, not made again
    assert len(nlbaccess.find_security_group(ws)["IpPermissions"]) == 1  # type: ignore[index]


def test_an_nlb_made_without_a_group_is_replaced_and_keeps_the_target_group(
    ws: Workshop, core: CoreNetwork
) -> None:
    elbv2 = ws.client("elbv2")
    old = elbv2.create_load_balancer(
        Name=ws.names.load_balancer, Type="network", Subnets=list(core.public_subnets)
    )["LoadBalancers"][0]
    group = elbv2.create_target_group(
        Name=ws.names.target_group, Protocol="TCP", Port=8080, VpcId=core.vpc_id, TargetType="ip"
    )["TargetGroups"][0]
    balancer = loadbalancer.ensure_load_balancer(ws, core)
    assert balancer.arn != old["LoadBalancerArn"] and balancer.security_groups
    assert balancer.replaced == loadbalancer.REPLACED_WITHOUT_GROUP
    assert balancer.target_group_arn == group["TargetGroupArn"]
    listed = elbv2.describe_load_balancers()["LoadBalancers"]
    assert [b["LoadBalancerArn"] for b in listed] == [balancer.arn]


def test_module_4_closes_the_path_and_module_2_run_again_keeps_it_closed(
    ws: Workshop, core: CoreNetwork
) -> None:
    balancer = loadbalancer.ensure_load_balancer(ws, core)
    assert not nlbaccess.direct_path_closed(ws, balancer.arn)
    group_id = nlbaccess.close_direct_path(ws, balancer)
    assert nlbaccess.direct_path_closed(ws, balancer.arn)
    assert not nlbaccess.admits_internet(nlbaccess.find_security_group(ws) or {})
    assert nlbaccess.close_direct_path(ws, balancer) == group_id  # again: nothing to revoke

    loadbalancer.ensure_load_balancer(ws, core)
    assert not nlbaccess.admits_internet(nlbaccess.find_security_group(ws) or {})


def test_closing_without_the_group_says_to_run_module_2(ws: Workshop, core: CoreNetwork) -> None:
    balancer = loadbalancer.ensure_load_balancer(ws, core)
    nlbaccess.delete_security_group(ws, timeout=0)  # moto lets it go while the NLB names it
    with pytest.raises(nlbaccess.ResourceNotFound, match="run notebook 02 again"):
        nlbaccess.close_direct_path(ws, balancer)


def test_direct_path_check_passes_when_nothing_answers_and_the_group_is_closed(
    ws: Workshop, core: CoreNetwork
) -> None:
    balancer = loadbalancer.ensure_load_balancer(ws, core)
    nlbaccess.close_direct_path(ws, balancer)
    check = nlbaccess.check_direct_path_closed(
        ws, dataclasses.replace(balancer, url=_closed_port()), "gretta"
    )
    assert check.ok, check
    assert (
        "got no answer" in check.evidence and "admits nothing from the internet" in check.evidence
    )


def test_direct_path_check_fails_while_the_nlb_answers_a_like(
    ws: Workshop, core: CoreNetwork
) -> None:
    balancer = loadbalancer.ensure_load_balancer(ws, core)
    nlbaccess.close_direct_path(ws, balancer)
    with http_server(lambda request: (200, "application/json", b'{"likes": 4}')) as url:
        check = nlbaccess.check_direct_path_closed(
            ws, dataclasses.replace(balancer, url=url), "gretta"
        )
    assert (
        not check.ok and check.evidence == 'the NLB answered a like directly: HTTP 200 {"likes": 4}'
    )


def test_direct_path_check_fails_while_the_group_admits_the_internet(
    ws: Workshop, core: CoreNetwork
) -> None:
    balancer = loadbalancer.ensure_load_balancer(ws, core)  # open: modules 2-3
    check = nlbaccess.check_direct_path_closed(
        ws, dataclasses.replace(balancer, url=_closed_port()), "gretta"
    )
    assert not check.ok and check.evidence == f"{ws.names.nlb_security_group} admits 0.0.0.0/0"


def test_the_group_is_a_leftover_until_deleted(ws: Workshop, core: CoreNetwork) -> None:
    loadbalancer.ensure_load_balancer(ws, core)
    kinds = [left.kind for left in loadbalancer.leftovers(ws)]
    assert kinds == ["load balancer", "target group", "security group"]
    loadbalancer.delete_load_balancer(ws)
    assert nlbaccess.delete_security_group(ws) is True
    assert nlbaccess.delete_security_group(ws) is False
    assert list(loadbalancer.leftovers(ws)) == []
