"""Network load balancers' security groups, stored as AWS keeps them and enforced on loopback.

AWS behaviours restored (moto 5.2.5 differs on each):
- SetSecurityGroups on a Network Load Balancer created without security groups is refused
  (InvalidConfigurationRequest): "You can't perform this operation on a Network Load Balancer
  unless you specified a security group for the load balancer when you created it." moto
  accepts it;
- SetSecurityGroups takes EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic (`on` by default)
  and answers it beside SecurityGroupIds; DescribeLoadBalancers shows it for an NLB with security
  groups. moto drops the flag and answers `SecurityGroups` where AWS says `SecurityGroupIds`;
- the security groups' inbound rules decide which connections reach the listeners (moto only
  records them). The check reads the rules live from EC2, so a revoked rule closes the path for
  the next connection. What counts as whom is in `Admission`.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.ec2.models import ec2_backends
from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer
from moto.elbv2.responses import ELBV2Response

from ..core.patching import Patches
from ..core.stores import Stores

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FLAG = "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"
_FLAG_ATTRIBUTE = "enforce_security_group_inbound_rules_on_private_link_traffic"
INTERNET = ipaddress.ip_network("0.0.0.0/0")
_CREATED_WITHOUT = (
    "You can't perform this operation on a Network Load Balancer unless you specified a "
    "security group for the load balancer when you created it."
)


class _Flags(dict[str, str]):
    """One account and region's flags, by load balancer ARN."""


class PrivateLinkFlags:
    """Each NLB's EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic, kept in the cloud's stores
    (so a reset forgets them with the load balancers)."""

    def __init__(self, stores: Stores) -> None:
        self._stores = stores
        self._lock = threading.Lock()

    def _book(self, arn: str) -> _Flags:
        _, _, _, region, account, _ = arn.split(":", 5)
        return self._stores.get("elbv2-privatelink", account, region, _Flags)

    def set(self, arn: str, value: str) -> None:
        with self._lock:
            self._book(arn)[arn] = value

    def get(self, arn: str) -> str:
        with self._lock:
            return self._book(arn).get(arn, "on")  # AWS's default


def _rule_admits(rule: Any, port: int, sources: Iterable[Network]) -> bool:
    """Whether one inbound rule lets TCP to `port` in from a network overlapping `sources`."""
    if rule.ip_protocol not in ("tcp", "-1"):
        return False
    if rule.ip_protocol == "tcp" and not (int(rule.from_port) <= port <= int(rule.to_port)):
        return False
    cidr = (rule.ip_range or {}).get("CidrIp")
    if not cidr:
        return False  # a rule naming a security group or prefix list admits no outside client
    network = ipaddress.ip_network(cidr, strict=False)
    return any(network.overlaps(source) for source in sources)


def ingress_admits(groups: list[Any], port: int, sources: list[Network]) -> bool:
    """Whether any inbound rule of `groups` admits TCP to `port` from `sources`."""
    return any(_rule_admits(rule, port, sources) for g in groups for rule in list(g.ingress_rules))


def _internet_rule(rule: Any, port: int) -> bool:
    """A rule that admits anyone: 0.0.0.0/0 (an internet client's address is unknown here)."""
    cidr = (rule.ip_range or {}).get("CidrIp")
    return cidr == "0.0.0.0/0" and _rule_admits(rule, port, [INTERNET])


class Admission:
    """Who may open a connection to an NLB listener, judged from its security groups now.

    - The public listener is the internet: admitted when the NLB has no security groups, or an
      inbound rule on the port allows 0.0.0.0/0 (the learner's own connections count as the
      internet, whatever their address).
    - The PrivateLink side (a VPC link) is admitted without a look at the rules when the NLB's
      flag is `off`; when it is `on`, a rule on the port must allow a network overlapping the
      NLB's VPC (PrivateLink traffic reaches the NLB from addresses inside it).
    """

    def __init__(self, flags: PrivateLinkFlags):
        self.flags = flags

    @staticmethod
    def _groups(balancer: FakeLoadBalancer) -> list[Any]:
        _, _, _, region, account, _ = balancer.arn.split(":", 5)
        ec2 = ec2_backends[account][region]
        found = [ec2.get_security_group_from_id(g) for g in balancer.security_groups or []]
        return [g for g in found if g is not None]

    def internet(self, balancer: FakeLoadBalancer, port: int) -> bool:
        if not balancer.security_groups:
            return True
        groups = self._groups(balancer)
        return any(_internet_rule(r, port) for g in groups for r in list(g.ingress_rules))

    def private_link(self, balancer: FakeLoadBalancer, port: int) -> bool:
        if not balancer.security_groups or self.flags.get(balancer.arn) == "off":
            return True
        _, _, _, region, account, _ = balancer.arn.split(":", 5)
        vpc = ec2_backends[account][region].get_vpc(balancer.vpc_id)
        network = ipaddress.ip_network(vpc.cidr_block, strict=False)
        return ingress_admits(self._groups(balancer), port, [network])


def _set_security_groups(
    flags: PrivateLinkFlags,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        def set_security_groups(self: ELBv2Backend, arn: str, sec_groups: list[str]) -> None:
            balancer = self.load_balancers.get(arn)
            if balancer is not None and balancer.type == "network" and not balancer.security_groups:
                raise ELBClientError("InvalidConfigurationRequest", _CREATED_WITHOUT)
            original(self, arn, sec_groups)

        return set_security_groups

    return make


def _answer_with_flag(flags: PrivateLinkFlags) -> Callable[[ELBV2Response], Any]:
    from moto.core.responses import ActionResult

    def set_security_groups(handler: ELBV2Response) -> ActionResult:
        arn = handler._get_param("LoadBalancerArn")
        groups = handler._get_param("SecurityGroups", [])
        handler.elbv2_backend.set_security_groups(arn, groups)
        result: dict[str, Any] = {"SecurityGroupIds": groups}
        balancer = handler.elbv2_backend.load_balancers[arn]
        if balancer.type == "network":
            flag = handler._get_param(FLAG)
            if flag in ("on", "off"):
                flags.set(arn, flag)
            result[FLAG] = flags.get(arn)
        return ActionResult(result)

    return set_security_groups


def _flag_property(flags: PrivateLinkFlags) -> property:
    """DescribeLoadBalancers reads the flag from the load balancer (NLBs with groups only)."""

    def read(balancer: FakeLoadBalancer) -> str | None:
        if balancer.type != "network" or not balancer.security_groups:
            return None
        return flags.get(balancer.arn)

    return property(read)


def apply(patches: Patches, flags: PrivateLinkFlags) -> None:
    patches.wrap(
        "elbv2.nlb-security-groups-at-creation",
        ELBv2Backend,
        "set_security_groups",
        _set_security_groups(flags),
    )
    patches.apply(
        "elbv2.privatelink-flag", ELBV2Response, "set_security_groups", _answer_with_flag(flags)
    )
    patches.apply(
        "elbv2.privatelink-flag-described", FakeLoadBalancer, _FLAG_ATTRIBUTE, _flag_property(flags)
    )
