"""Network load balancers' names and target health as AWS reports them.

AWS behaviours restored (moto 5.2.5 differs on each):
- DescribeTargetHealth reports `initial` until the first checks finish, then `healthy` or
  `unhealthy` (Target.FailedHealthChecks) from real checks, and `draining` for the
  deregistration delay after a target is removed (moto calls every target healthy);
- DescribeTargetHealth without `Targets` lists draining targets too, until their delay ends
  (moto lists only the registered ones, so a stopped task vanished at once);
- a target group of a network load balancer (TCP, TLS, UDP, TCP_UDP) with HTTP health checks
  counts 200-399 as healthy unless told otherwise (moto defaults every matcher to 200);
- a network load balancer's ARN reads `loadbalancer/net/<name>/<id>` and its DNS name
  `<name>-<16 hex>.elb.<region>.amazonaws.com` (moto writes `app` and `<name>-1`).
"""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

from moto.elbv2 import models as elbv2_models
from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeLoadBalancer, FakeTargetGroup

from ..core.patching import Patches
from ..core.stores import Stores
from .targets import HealthBook

_creating_type: contextvars.ContextVar[str] = contextvars.ContextVar(
    "creating_type", default="application"
)


class Deregistrations:
    """When each target left each target group, for the `draining` state's deregistration delay."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: dict[tuple[str, str], float] = {}

    def note(self, group_arn: str, target_id: str) -> None:
        with self._lock:
            self._since[(group_arn, target_id)] = time.monotonic()

    def since(self, group_arn: str, target_id: str) -> float | None:
        with self._lock:
            return self._since.get((group_arn, target_id))


def _deregistrations(stores: Stores, group: FakeTargetGroup) -> Deregistrations:
    _, _, _, region, account, _ = group.arn.split(":", 5)
    return stores.get("elbv2", account, region, Deregistrations)


def _apply_network_names(patches: Patches) -> None:
    signature = inspect.signature(ELBv2Backend.create_load_balancer)

    def net_arn(original_arn: Callable[..., str]) -> Callable[..., str]:
        def make_arn(account_id: str, lb_id: str, name: str, region_name: str) -> str:
            arn = original_arn(account_id, lb_id, name, region_name)
            return (
                arn.replace("loadbalancer/app/", "loadbalancer/net/", 1)
                if _creating_type.get() == "network"
                else arn
            )

        return make_arn

    def net_dns_name(
        original_create: Callable[..., FakeLoadBalancer],
    ) -> Callable[..., FakeLoadBalancer]:
        def create_load_balancer(self: ELBv2Backend, *args: Any, **kwargs: Any) -> FakeLoadBalancer:
            bound = signature.bind(self, *args, **kwargs)
            token = _creating_type.set(bound.arguments.get("loadbalancer_type") or "application")
            try:
                balancer = original_create(self, *args, **kwargs)
            finally:
                _creating_type.reset(token)
            if balancer.type == "network" and balancer.dns_name.endswith(
                f"-1.{self.region_name}.elb.amazonaws.com"
            ):
                suffix = hashlib.sha256(balancer.arn.encode()).hexdigest()[:16]
                balancer.dns_name = f"{balancer.name}-{suffix}.elb.{self.region_name}.amazonaws.com"
            return balancer

        return create_load_balancer

    patches.wrap("elbv2.network-arn", elbv2_models, "make_arn_for_load_balancer", net_arn)
    patches.wrap("elbv2.network-dns-name", ELBv2Backend, "create_load_balancer", net_dns_name)


def _draining(
    group: FakeTargetGroup, target: dict[str, Any], since: float | None
) -> FakeHealthStatus | None:
    delay = float(str(group.attributes.get("deregistration_delay.timeout_seconds", 300)))
    if since is None or time.monotonic() - since >= delay:
        return None
    return FakeHealthStatus(
        target["Id"],
        target.get("Port", group.port),
        group.health_check_port,
        "draining",
        "Target.DeregistrationInProgress",
        "Target deregistration is in progress",
    )


_NETWORK_PROTOCOLS = {"TCP", "TLS", "UDP", "TCP_UDP"}


def _network_matcher(original: Callable[..., FakeTargetGroup]) -> Callable[..., FakeTargetGroup]:
    def create_target_group(self: ELBv2Backend, name: str, **kwargs: Any) -> FakeTargetGroup:
        over_http = str(kwargs.get("healthcheck_protocol") or "").upper() in {"HTTP", "HTTPS"}
        if kwargs.get("protocol") in _NETWORK_PROTOCOLS and over_http and not kwargs.get("matcher"):
            kwargs["matcher"] = {"HttpCode": "200-399"}  # AWS's default for these target groups
        return original(self, name, **kwargs)

    return create_target_group


_Describe = Callable[..., list[FakeHealthStatus]]


def _listing_draining(stores: Stores) -> Callable[[_Describe], _Describe]:
    def wrap(original: _Describe) -> _Describe:
        def describe_target_health(
            self: ELBv2Backend, target_group_arn: str, targets: list[dict[str, Any]]
        ) -> list[FakeHealthStatus]:
            described = original(self, target_group_arn, targets)
            if targets:
                return described  # the caller named its targets: moto answers for each of them
            group = self.target_groups[target_group_arn]
            book = _deregistrations(stores, group)
            for target_id, target in list(group.deregistered_targets.items()):
                if target_id not in group.targets:
                    draining = _draining(group, target, book.since(group.arn, target_id))
                    described += [draining] if draining is not None else []
            return described

        return describe_target_health

    return wrap


def apply(patches: Patches, stores: Stores, book: HealthBook) -> None:
    """Network names, and target health read from `book` (the data plane's real checks)."""
    _apply_network_names(patches)

    def noting(original: Callable[..., None]) -> Callable[..., None]:
        def deregister(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
            original(self, targets)
            for target in targets:
                _deregistrations(stores, self).note(self.arn, target["Id"])

        return deregister

    def checked(original: Callable[..., FakeHealthStatus]) -> Callable[..., FakeHealthStatus]:
        def health_for(
            self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any
        ) -> FakeHealthStatus:
            registered = self.targets.get(target["Id"])
            if registered is None:
                draining = _draining(
                    self, target, _deregistrations(stores, self).since(self.arn, target["Id"])
                )
                return draining or original(self, target, ec2_backend)
            port = registered.get("Port") or self.port
            health = book.get(self.arn, target["Id"])
            if health is None:
                return FakeHealthStatus(
                    target["Id"],
                    port,
                    self.health_check_port,
                    "initial",
                    "Elb.RegistrationInProgress",
                    "Target registration is in progress",
                )
            return FakeHealthStatus(
                target["Id"],
                port,
                self.health_check_port,
                health.state,
                health.reason,
                health.description,
            )

        return health_for

    patches.wrap("elbv2.target-health", FakeTargetGroup, "health_for", checked)
    patches.wrap("elbv2.draining", FakeTargetGroup, "deregister", noting)
    patches.wrap("elbv2.network-matcher", ELBv2Backend, "create_target_group", _network_matcher)
    patches.wrap(
        "elbv2.draining-listed", ELBv2Backend, "describe_target_health", _listing_draining(stores)
    )
