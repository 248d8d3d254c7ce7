"""ELBv2: network load balancers' names, target health from real checks, and listeners that relay.

`targets` maps AWS target addresses to loopback and runs the health checks, `nlb` serves each
listener, `patches` makes moto report what the checks saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..core.heartbeat import BaseReconciler
from . import patches
from .nlb import LoadBalancerProxies
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


def register(cloud: LocalCloud) -> LoadBalancing:
    directory = TargetDirectory()
    health = HealthBook(directory)
    patches.apply(cloud.patches, cloud.stores, health)
    plane = LoadBalancing(directory, health, LoadBalancerProxies(cloud.registry, directory, health))
    cloud.heartbeat.register(plane)
    return plane
