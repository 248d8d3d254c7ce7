"""Network load balancers' names and target health as AWS reports them.

AWS behaviours restored (moto 5.2.5 differs on each):
- DescribeTargetHealth reports `initial` until the first checks finish, then `healthy` or
  `unhealthy` (Target.FailedHealthChecks) from real checks, and `draining` for the
  deregistration delay after a target is removed (moto calls every target healthy);
- a network load balancer's ARN reads `loadbalancer/net/<name>/<id>` and its DNS name
  `<name>-<16 hex>.elb.<region>.amazonaws.com` (moto writes `app` and `<name>-1`).
"""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import time
from typing import Any

from moto.elbv2 import models as elbv2_models
from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeLoadBalancer, FakeTargetGroup

from ..dataplane.targets import HealthBook

_state: dict[str, Any] = {"book": None, "deregistered": {}}
_creating_type: contextvars.ContextVar[str] = contextvars.ContextVar("creating_type", default="application")


def _install_network_names() -> None:
    original_arn, original_create = elbv2_models.make_arn_for_load_balancer, ELBv2Backend.create_load_balancer
    signature = inspect.signature(original_create)

    def make_arn(account_id: str, lb_id: str, name: str, region_name: str) -> str:
        arn = original_arn(account_id, lb_id, name, region_name)
        return arn.replace("loadbalancer/app/", "loadbalancer/net/", 1) if _creating_type.get() == "network" else arn

    def create_load_balancer(self: ELBv2Backend, *args: Any, **kwargs: Any) -> FakeLoadBalancer:
        bound = signature.bind(self, *args, **kwargs)
        token = _creating_type.set(bound.arguments.get("loadbalancer_type") or "application")
        try:
            balancer = original_create(self, *args, **kwargs)
        finally:
            _creating_type.reset(token)
        if balancer.type == "network" and balancer.dns_name.endswith(f"-1.{self.region_name}.elb.amazonaws.com"):
            suffix = hashlib.sha256(balancer.arn.encode()).hexdigest()[:16]
            balancer.dns_name = f"{balancer.name}-{suffix}.elb.{self.region_name}.amazonaws.com"
        return balancer

    elbv2_models.make_arn_for_load_balancer = make_arn
    ELBv2Backend.create_load_balancer = create_load_balancer  # type: ignore[method-assign]


def install(book: HealthBook) -> None:
    """Point moto's target health at `book` (patching moto once)."""
    first_time = _state["book"] is None
    _state["book"] = book
    if not first_time:
        return
    _install_network_names()
    original_health, original_deregister = FakeTargetGroup.health_for, FakeTargetGroup.deregister

    def deregister(self: FakeTargetGroup, targets: list[dict[str, Any]]) -> None:
        original_deregister(self, targets)
        for target in targets:
            _state["deregistered"][(self.arn, target["Id"])] = time.monotonic()

    def health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
        registered = self.targets.get(target["Id"])
        if registered is None:
            since = _state["deregistered"].get((self.arn, target["Id"]))
            delay = float(self.attributes.get("deregistration_delay.timeout_seconds", 300))
            if since is not None and time.monotonic() - since < delay:
                return FakeHealthStatus(target["Id"], target.get("Port", self.port), self.health_check_port,
                                        "draining", "Target.DeregistrationInProgress",
                                        "Target deregistration is in progress")
            return original_health(self, target, ec2_backend)
        port = registered.get("Port") or self.port
        health = _state["book"].get(self.arn, target["Id"])
        if health is None:
            return FakeHealthStatus(target["Id"], port, self.health_check_port, "initial",
                                    "Elb.RegistrationInProgress", "Target registration is in progress")
        return FakeHealthStatus(target["Id"], port, self.health_check_port, health.state, health.reason,
                                health.description)

    FakeTargetGroup.health_for = health_for  # type: ignore[method-assign]
    FakeTargetGroup.deregister = deregister  # type: ignore[method-assign]
