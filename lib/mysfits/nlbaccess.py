"""Who may reach the service's load balancer: its security group, and closing the direct path.

Module 2 creates the NLB with a security group of its own (`{prefix}-nlb`) that admits TCP 80
from anywhere: in modules 2 and 3 the learner's browser calls the NLB directly. Module 4 puts
API Gateway in front, whose VPC link reaches the NLB over AWS PrivateLink, and closes the direct
path: it revokes the public rule and turns off the inbound-rule enforcement for PrivateLink traffic
(`EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic=off`), so the VPC link's connections still
arrive while the internet's find no rule that admits them. It tags the NLB
`mysfits:direct-path=closed`, and module 2 run again sees the tag and does not reopen the rule.

An NLB's security groups can be changed later only if it was created with at least one: an NLB
made without any can never have one (an AWS rule), which is why module 2 creates it with this group
from the start, and replaces an older NLB that has none (`loadbalancer.ensure_load_balancer`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import requests

from .checks import Check
from .errors import ResourceNotFound
from .idioms import delete_if_present, retry_while
from .inventory import Leftover
from .workshop import Workshop

if TYPE_CHECKING:  # loadbalancer imports this module
    from .loadbalancer import LoadBalancer

ROLE_TAG = {"Key": "mysfits:role", "Value": "nlb"}
DIRECT_PATH_TAG = "mysfits:direct-path"
CLOSED = "closed"
PORT = 80  # the NLB's listener (loadbalancer.LISTENER_PORT)
INTERNET = "0.0.0.0/0"
PUBLIC_RULE_NOTE = "the learner's direct path (modules 2-3); module 4 removes it"
# How long the direct-path check waits for the NLB to accept a connection: a security group drops
# packets without an answer, so a closed path shows as a connect timeout on AWS.
PROBE_TIMEOUT = 5.0


def _public_rule() -> dict[str, Any]:
    return {
        "IpProtocol": "tcp",
        "FromPort": PORT,
        "ToPort": PORT,
        "IpRanges": [{"CidrIp": INTERNET, "Description": PUBLIC_RULE_NOTE}],
    }


def find_security_group(ws: Workshop, vpc_id: str | None = None) -> dict[str, Any] | None:
    """The NLB's security group (by name, in `vpc_id` when given), or None."""
    filters = [{"Name": "group-name", "Values": [ws.names.nlb_security_group]}]
    if vpc_id is not None:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    groups = ws.client("ec2").describe_security_groups(Filters=filters)["SecurityGroups"]
    return dict(groups[0]) if groups else None


def admits(group: dict[str, Any] | None) -> bool:
    """Whether `group` (None: no group) admits the internet on the listener's port."""
    return group is not None and admits_internet(group)


def admits_internet(group: dict[str, Any]) -> bool:
    """Whether an ingress rule of `group` admits the listener's port from 0.0.0.0/0."""
    return any(
        rule.get("IpProtocol") in ("tcp", "-1")
        and rule.get("FromPort", 0) <= PORT <= rule.get("ToPort", 65535)
        and any(r.get("CidrIp") == INTERNET for r in rule.get("IpRanges", []))
        for rule in group.get("IpPermissions", [])
    )


def ensure_security_group(ws: Workshop, vpc_id: str, public: bool) -> str:
    """Create (or find) the NLB's security group in `vpc_id`; with `public`, make sure it admits
    TCP 80 from anywhere (without, it is left as it is: module 4 may have closed it). Its id."""
    ec2, group = ws.client("ec2"), find_security_group(ws, vpc_id)
    if group is None:
        tags = [*ws.tag_list(), ROLE_TAG, {"Key": "Name", "Value": ws.names.nlb_security_group}]
        group_id = ec2.create_security_group(
            GroupName=ws.names.nlb_security_group,
            Description="Mysfits NLB: the public listener until module 4, then the VPC link only",
            VpcId=vpc_id,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
        )["GroupId"]
        group = {"GroupId": group_id, "IpPermissions": []}
    if public and not admits_internet(group):
        ec2.authorize_security_group_ingress(
            GroupId=group["GroupId"], IpPermissions=[_public_rule()]
        )
    return str(group["GroupId"])


def _tags(ws: Workshop, balancer_arn: str) -> dict[str, str]:
    described = ws.client("elbv2").describe_tags(ResourceArns=[balancer_arn])["TagDescriptions"]
    return {t["Key"]: t["Value"] for d in described for t in d.get("Tags", [])}


def direct_path_closed(ws: Workshop, balancer_arn: str) -> bool:
    """Whether module 4 closed the NLB's direct path (its tag says so)."""
    return _tags(ws, balancer_arn).get(DIRECT_PATH_TAG) == CLOSED


def close_direct_path(ws: Workshop, balancer: LoadBalancer) -> str:
    """Revoke the public rule, keep the VPC link's traffic (PrivateLink enforcement off), tag the
    NLB closed; the security group's id. Idempotent."""
    ec2, elbv2 = ws.client("ec2"), ws.client("elbv2")
    group = find_security_group(ws)
    if group is None:
        raise _no_group(ws)
    if admits_internet(group):
        ec2.revoke_security_group_ingress(
            GroupId=group["GroupId"],
            IpPermissions=[{**_public_rule(), "IpRanges": [{"CidrIp": INTERNET}]}],
        )
    elbv2.set_security_groups(
        LoadBalancerArn=balancer.arn,
        SecurityGroups=[group["GroupId"]],
        EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic="off",
    )
    elbv2.add_tags(ResourceArns=[balancer.arn], Tags=[{"Key": DIRECT_PATH_TAG, "Value": CLOSED}])
    return str(group["GroupId"])


def _no_group(ws: Workshop) -> Exception:
    return ResourceNotFound(
        f"no security group {ws.names.nlb_security_group} for the load balancer: run notebook "
        "02 again (it creates the group, and replaces a load balancer made without one)"
    )


def _probe(url: str) -> str | None:
    """What an HTTP client gets from `url` with no credentials: None when nothing answers."""
    try:
        response = requests.post(url, timeout=PROBE_TIMEOUT)
    except (requests.ConnectionError, requests.Timeout):  # refused, reset, or no answer at all
        return None
    return f"HTTP {response.status_code} {' '.join(response.text.split())[:80]}"


def _enforcement(ws: Workshop, balancer_arn: str) -> str:
    described = ws.client("elbv2").describe_load_balancers(LoadBalancerArns=[balancer_arn])
    found = described["LoadBalancers"][0]
    return str(found.get("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic", "not shown"))


def check_direct_path_closed(ws: Workshop, balancer: LoadBalancer, mysfit_id: str) -> Check:
    """A like sent to the NLB's own address gets no answer at all, and the NLB's security group
    admits nothing from the internet (its only way in is the VPC link)."""
    group = find_security_group(ws)
    url = f"{balancer.url}/mysfits/{mysfit_id}/like"
    answered = _probe(url)
    problems = [
        what
        for what, bad in (
            (f"the NLB answered a like directly: {answered}", answered is not None),
            (f"no security group {ws.names.nlb_security_group}", group is None),
            (f"{ws.names.nlb_security_group} admits {INTERNET}", admits(group)),
        )
        if bad
    ]
    evidence = "; ".join(problems) or (
        f"POST {url.split('//', 1)[-1]} got no answer; {group and group['GroupId']} admits nothing "
        f"from the internet; PrivateLink enforcement {_enforcement(ws, balancer.arn)}"
    )
    return Check("the load balancer cannot be reached around the API", not problems, evidence)


def delete_security_group(ws: Workshop, timeout: float = 300) -> bool:
    """Delete the NLB's security group once nothing uses it; False if there was none.

    AWS answers DependencyViolation while a just-deleted NLB's network interfaces still hold it.
    """
    group = find_security_group(ws)
    if group is None:
        return False
    ec2 = ws.client("ec2")
    return retry_while(
        lambda: delete_if_present(
            lambda: ec2.delete_security_group(GroupId=group["GroupId"]),
            "InvalidGroup.NotFound",
        ),
        "DependencyViolation",
        what=f"security group {ws.names.nlb_security_group} to be unused",
        timeout=timeout,
        interval=5,
        hint="The load balancer's network interfaces still use it: it goes minutes after the NLB.",
    )


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The NLB's security group (free)."""
    if find_security_group(ws) is not None:
        yield Leftover("security group", ws.names.nlb_security_group)
