"""NLB security groups on the local cloud: kept as AWS keeps them, enforced on the listener.

The learner's connections to the NLB's loopback address count as the internet; a VPC link's
arrive on the listener's PrivateLink side. Closing the direct path (module 4: revoke the
0.0.0.0/0 rule, PrivateLink enforcement off) leaves the API Gateway path working and makes the
NLB's own address unable to change anything. A refused connection is reset at once (AWS drops
it silently and the client times out).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import requests
from botocore.exceptions import ClientError

from .conftest import OPEN_80, GuardedService

pytestmark = pytest.mark.integration

GRETTA = "a90780e4-7dd7-515e-baba-52b2038f1870"
FLAG = "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"


@pytest.fixture
def guarded(guarded_service: GuardedService) -> Iterator[GuardedService]:
    """The guarded service with its direct path open; put back so after each test."""
    yield guarded_service
    ec2 = guarded_service.ws.client("ec2")
    rules = ec2.describe_security_groups(GroupIds=[guarded_service.group_id])["SecurityGroups"][0]
    if not any(r.get("IpRanges") == [{"CidrIp": "0.0.0.0/0"}] for r in rules["IpPermissions"]):
        ec2.authorize_security_group_ingress(
            GroupId=guarded_service.group_id, IpPermissions=[OPEN_80]
        )
    guarded_service.ws.client("elbv2").set_security_groups(
        LoadBalancerArn=guarded_service.balancer_arn,
        SecurityGroups=[guarded_service.group_id],
        **{FLAG: "on"},
    )


def _close_direct_path(guarded: GuardedService) -> None:
    """What module 4 does: no public ingress, VPC-link traffic not judged by the rules."""
    guarded.ws.client("ec2").revoke_security_group_ingress(
        GroupId=guarded.group_id, IpPermissions=[OPEN_80]
    )
    guarded.ws.client("elbv2").set_security_groups(
        LoadBalancerArn=guarded.balancer_arn, SecurityGroups=[guarded.group_id], **{FLAG: "off"}
    )


def test_describe_and_set_security_groups_show_the_privatelink_flag(
    guarded: GuardedService,
) -> None:
    elbv2 = guarded.ws.client("elbv2")
    described = elbv2.describe_load_balancers(LoadBalancerArns=[guarded.balancer_arn])
    balancer = described["LoadBalancers"][0]
    assert balancer["SecurityGroups"] == [guarded.group_id]
    assert balancer[FLAG] == "on"  # AWS's default
    answer = elbv2.set_security_groups(
        LoadBalancerArn=guarded.balancer_arn, SecurityGroups=[guarded.group_id], **{FLAG: "off"}
    )
    assert answer["SecurityGroupIds"] == [guarded.group_id] and answer[FLAG] == "off"
    described = elbv2.describe_load_balancers(LoadBalancerArns=[guarded.balancer_arn])
    assert described["LoadBalancers"][0][FLAG] == "off"


def test_an_nlb_created_without_security_groups_cannot_gain_them(
    guarded: GuardedService,
) -> None:
    elbv2 = guarded.ws.client("elbv2")
    described = elbv2.describe_load_balancers(LoadBalancerArns=[guarded.balancer_arn])
    zones = described["LoadBalancers"][0]["AvailabilityZones"]
    bare = elbv2.create_load_balancer(
        Name=f"b{uuid.uuid4().hex[:8]}",
        Type="network",
        Subnets=[z["SubnetId"] for z in zones],
    )["LoadBalancers"][0]
    try:
        with pytest.raises(ClientError) as raised:
            elbv2.set_security_groups(
                LoadBalancerArn=bare["LoadBalancerArn"], SecurityGroups=[guarded.group_id]
            )
        assert raised.value.response["Error"]["Code"] == "InvalidConfigurationRequest"
        assert "when you created it" in raised.value.response["Error"]["Message"]
        assert (
            FLAG
            not in elbv2.describe_load_balancers(LoadBalancerArns=[bare["LoadBalancerArn"]])[
                "LoadBalancers"
            ][0]
        )
    finally:
        elbv2.delete_load_balancer(LoadBalancerArn=bare["LoadBalancerArn"])


def _likes(url: str) -> int:
    answer = requests.get(f"{url}/mysfits/{GRETTA}", timeout=10)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["likes"])


def test_revoking_public_ingress_closes_the_nlb_address_at_once(guarded: GuardedService) -> None:
    before = _likes(guarded.nlb_url)  # open: the learner reaches the NLB
    _close_direct_path(guarded)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{guarded.nlb_url}/mysfits/{GRETTA}/like", timeout=10)
    refused_in = time.monotonic() - started
    print(f"refused in {refused_in * 1000:.1f} ms (AWS: silently dropped, the client times out)")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{guarded.nlb_url}/mysfits", timeout=10)
    # Opened again, the like above never happened.
    guarded.ws.client("ec2").authorize_security_group_ingress(
        GroupId=guarded.group_id, IpPermissions=[OPEN_80]
    )
    assert _likes(guarded.nlb_url) == before


def test_the_api_reaches_the_service_with_the_direct_path_closed(guarded: GuardedService) -> None:
    from .test_apigateway_local import private_api

    _close_direct_path(guarded)
    with private_api(guarded.ws, guarded.balancer_arn) as stage:
        assert requests.get(f"{stage}/mysfits", timeout=10).status_code == 200
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{guarded.nlb_url}/mysfits", timeout=10)


@pytest.fixture
def second_nlb(guarded: GuardedService) -> Iterator[tuple[str, str]]:
    """Another NLB in the service's VPC, forwarding to the same targets, with a security group
    that has no inbound rules: (its ARN, its group)."""
    ec2, elbv2 = guarded.ws.client("ec2"), guarded.ws.client("elbv2")
    first = elbv2.describe_load_balancers(LoadBalancerArns=[guarded.balancer_arn])
    listener = elbv2.describe_listeners(LoadBalancerArn=guarded.balancer_arn)["Listeners"][0]
    group = ec2.create_security_group(
        GroupName=f"{guarded.ws.prefix}-{uuid.uuid4().hex[:6]}",
        Description="no inbound rules",
        VpcId=first["LoadBalancers"][0]["VpcId"],
    )["GroupId"]
    balancer = elbv2.create_load_balancer(
        Name=f"s{uuid.uuid4().hex[:8]}",
        Type="network",
        Subnets=[z["SubnetId"] for z in first["LoadBalancers"][0]["AvailabilityZones"]],
        SecurityGroups=[group],
    )["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=balancer, Protocol="TCP", Port=80, DefaultActions=listener["DefaultActions"]
    )
    try:
        yield balancer, group
    finally:
        elbv2.delete_load_balancer(LoadBalancerArn=balancer)
        ec2.delete_security_group(GroupId=group)


def test_privatelink_traffic_is_judged_when_the_flag_is_on(
    guarded: GuardedService, second_nlb: tuple[str, str]
) -> None:
    from .test_apigateway_local import private_api

    balancer, group = second_nlb
    with private_api(guarded.ws, balancer) as stage:
        # Flag on (the default) and no rule admits the VPC: API Gateway cannot connect.
        refused = requests.get(f"{stage}/mysfits", timeout=10)
        assert (refused.status_code, refused.json()) == (500, {"message": "Internal server error"})
        vpc_rule = {**OPEN_80, "IpRanges": [{"CidrIp": guarded.vpc_cidr}]}
        guarded.ws.client("ec2").authorize_security_group_ingress(
            GroupId=group, IpPermissions=[vpc_rule]
        )
        assert requests.get(f"{stage}/mysfits", timeout=10).status_code == 200


def test_privatelink_traffic_passes_unjudged_when_the_flag_is_off(
    guarded: GuardedService, second_nlb: tuple[str, str]
) -> None:
    from .test_apigateway_local import private_api

    balancer, group = second_nlb  # no inbound rules at all
    guarded.ws.client("elbv2").set_security_groups(
        LoadBalancerArn=balancer, SecurityGroups=[group], **{FLAG: "off"}
    )
    with private_api(guarded.ws, balancer) as stage:
        assert requests.get(f"{stage}/mysfits", timeout=10).status_code == 200
