"""ELBv2: network load balancers' names, target health from real checks, and listeners that relay.

`targets` maps AWS target addresses to loopback and runs the health checks, `nlb` serves each
listener (public and PrivateLink side), `patches` makes moto report what the checks saw,
`securitygroups` keeps NLB security groups as AWS does and decides who may connect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.heartbeat import BaseReconciler
from . import patches, securitygroups
from .nlb import LoadBalancerProxies
from .securitygroups import Admission, PrivateLinkFlags
from .targets import HealthBook, TargetDirectory

if TYPE_CHECKING:
    from ..server import LocalCloud


@dataclass
class LoadBalancing(BaseReconciler):
    """Target addresses, their health and the listeners: what ECS registers its tasks with."""

    directory: TargetDirectory
    health: HealthBook
    proxies: LoadBalancerProxies
    name: str = "elbv2"

    def tick(self) -> None:
        self.health.check_due()

    def refresh(self) -> None:
        self.proxies.reconcile()

    def reset(self) -> None:
        return  # listeners close with the registry's endpoints; health follows the target groups

    def close(self) -> None:
        self.proxies.close()
        self.health.close()

    def privatelink_address(self, load_balancer_arn: str, port: int) -> tuple[str, int]:
        """The loopback address where a VPC link's connections to the NLB's `port` listener arrive.

        The NLB's security groups are enforced there only when its
        EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic flag is `on`.
        """
        address = self.proxies.privatelink_address(load_balancer_arn, port)
        if address is None:
            raise LookupError(f"{load_balancer_arn} has no listener on port {port}")
        return address


def register(cloud: LocalCloud) -> LoadBalancing:
    directory = TargetDirectory()
    health = HealthBook(directory)
    patches.apply(cloud.patches, cloud.stores, health)
    flags = PrivateLinkFlags(cloud.stores)
    securitygroups.apply(cloud.patches, flags)
    proxies = LoadBalancerProxies(cloud.registry, directory, health, Admission(flags))
    plane = LoadBalancing(directory, health, proxies)
    cloud.heartbeat.register(plane)
    return plane
