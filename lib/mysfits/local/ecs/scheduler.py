"""The ECS service scheduler: keeps each service's tasks running as local processes.

Each tick, for every service: follow UpdateService to a new deployment if it asked for one,
take a snapshot of the service and its tasks (`ServiceView`), let `planning.plan` decide, and
carry its actions out on moto's records, the task processes and the target groups. The rules
themselves (desired count, replacement, rolling updates, the circuit breaker) live in
`planning`; this module only observes and applies.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import singledispatchmethod
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecs.models import EC2ContainerServiceBackend, Service, ecs_backends

from ..core.children import Children
from ..ecr.images import ImageCache
from ..elbv2.targets import HealthBook, TargetDirectory
from .fleet import TaskFleet
from .planning import (
    CountFailure,
    DeploymentPolicy,
    DropDeployment,
    Event,
    HoldStarts,
    MarkDeployment,
    RecordStopped,
    RegisterTask,
    RollBack,
    ServiceView,
    StartTask,
    StopTask,
    new_deployment,
    plan,
)
from .records import RunningTask, ServiceRuntime, add_event

log = logging.getLogger("mysfits.local.ecs")


class EcsScheduler:
    """Reconciles every ECS service's tasks with its desired state, one `tick` at a time."""

    def __init__(
        self,
        images: ImageCache,
        directory: TargetDirectory,
        health: HealthBook,
        endpoint_url: str,
        children: Children,
    ):
        self._lock = threading.RLock()
        self._fleet = TaskFleet(images, directory, health, endpoint_url, self._lock, children)
        self._services: dict[str, ServiceRuntime] = {}

    def tick(self) -> None:
        with self._lock:
            seen: set[str] = set()
            for region, backend in list(ecs_backends[DEFAULT_ACCOUNT_ID].items()):
                for service in list(backend.services.values()):
                    seen.add(service.arn)
                    self._schedule_one(region, backend, service)
            for arn in self._fleet.service_arns() - seen:
                # Gone from moto altogether (a reset): its runtime still knows its tasks.
                self._carry_out(self._services[arn], active=False)
            for arn in set(self._services) - seen - self._fleet.service_arns():
                del self._services[arn]

    def _schedule_one(
        self, region: str, backend: EC2ContainerServiceBackend, service: Service
    ) -> None:
        """One service's turn; a service moto accepted but cannot run must not stall the others."""
        try:
            self._schedule(self._runtime(region, backend, service))
        except Exception:
            log.exception("scheduling ECS service %s failed", service.arn)

    def service_updated(self, backend: EC2ContainerServiceBackend, service: Service) -> None:
        """UpdateService changed the task definition (or forced a deployment): list the new
        PRIMARY deployment at once, as AWS does in the UpdateService answer, instead of at the
        next tick (until then DescribeServices showed the old deployment COMPLETED under the new
        task definition, and a steady-state wait returned before the rollout began)."""
        with self._lock:
            runtime = self._services.get(service.arn)
            if runtime is None or runtime.service is not service or service.status != "ACTIVE":
                return  # not scheduled yet: the next tick starts from the service as it is
            self._follow(runtime)
            runtime.publish(self._live(runtime))

    def close(self) -> None:
        """Stop every task process (the local cloud is shutting down)."""
        self._fleet.close()

    # -- one service -----------------------------------------------------------------------------

    def _runtime(
        self, region: str, backend: EC2ContainerServiceBackend, service: Service
    ) -> ServiceRuntime:
        runtime = self._services.get(service.arn)
        if runtime is None or runtime.service is not service:  # re-created under the same name
            runtime = self._services[service.arn] = ServiceRuntime(service, region, backend)
        return runtime

    def _schedule(self, runtime: ServiceRuntime) -> None:
        service = runtime.service
        if service.status != "ACTIVE":
            self._carry_out(runtime, active=False)
            return
        if runtime.network_configuration is None and service.deployments:
            runtime.network_configuration = _first_deployment(service).get("networkConfiguration")
        self._follow(runtime)
        self._carry_out(runtime, active=True)
        runtime.publish(self._live(runtime))

    def _follow(self, runtime: ServiceRuntime) -> None:
        """Start a new deployment when the task definition changes or a new one is forced."""
        service = runtime.service
        definition = runtime.backend.describe_task_definition(str(service.task_definition)).arn
        requested = _first_deployment(service)["id"] if service.deployments else None
        new = new_deployment([d.view() for d in runtime.deployments], definition, requested)
        if new is not None:
            runtime.begin(new)

    def _live(self, runtime: ServiceRuntime) -> list[RunningTask]:
        return [r for r in self._fleet.of(runtime.service.arn) if not r.stopping]

    def _view(self, runtime: ServiceRuntime, active: bool) -> ServiceView:
        service = runtime.service
        configuration = getattr(service, "deployment_configuration", None) or {}
        return ServiceView(
            name=service.name,
            active=active,
            deployments=tuple(d.view() for d in runtime.deployments),
            tasks=tuple(self._fleet.view(r) for r in self._fleet.of(service.arn)),
            desired=int(service.desired_count),
            policy=DeploymentPolicy.from_configuration(configuration),
            last_completed=runtime.last_completed,
            now=time.monotonic(),
            starts_held_until=runtime.next_start,
        )

    def _carry_out(self, runtime: ServiceRuntime, active: bool) -> None:
        for action in plan(self._view(runtime, active)):
            self._apply(action, runtime)

    # -- the planner's actions -------------------------------------------------------------------

    @singledispatchmethod
    def _apply(self, action: Any, runtime: ServiceRuntime) -> None:
        raise TypeError(f"the ECS scheduler has no way to carry out {action!r}")

    @_apply.register
    def _(self, action: StartTask, runtime: ServiceRuntime) -> None:
        self._fleet.start(runtime, runtime.deployment(action.deployment))

    @_apply.register
    def _(self, action: RegisterTask, runtime: ServiceRuntime) -> None:
        self._fleet.register(action.task)

    @_apply.register
    def _(self, action: StopTask, runtime: ServiceRuntime) -> None:
        self._fleet.stop(action.task, action.reason)

    @_apply.register
    def _(self, action: RecordStopped, runtime: ServiceRuntime) -> None:
        self._fleet.record_stopped(action.task, action.reason, action.code, action.exit_code)

    @_apply.register
    def _(self, action: CountFailure, runtime: ServiceRuntime) -> None:
        runtime.deployment(action.deployment).failed_tasks += 1

    @_apply.register
    def _(self, action: HoldStarts, runtime: ServiceRuntime) -> None:
        runtime.next_start = action.until

    @_apply.register
    def _(self, action: MarkDeployment, runtime: ServiceRuntime) -> None:
        runtime.mark(action.deployment, action.rollout_state, action.reason)

    @_apply.register
    def _(self, action: DropDeployment, runtime: ServiceRuntime) -> None:
        runtime.drop(action.deployment)

    @_apply.register
    def _(self, action: RollBack, runtime: ServiceRuntime) -> None:
        runtime.service.task_definition = action.to

    @_apply.register
    def _(self, action: Event, runtime: ServiceRuntime) -> None:
        add_event(runtime.service, action.message)


def _first_deployment(service: Service) -> dict[str, Any]:
    """The newest deployment moto lists (moto annotates the list's items as `object`)."""
    first: dict[str, Any] = service.deployments[0]
    return first
