"""What the ECS scheduler remembers of each service and task, and how DescribeServices shows it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.ecs.models import EC2ContainerServiceBackend, Service, Task
from moto.moto_api._internal import mock_random

from ..elbv2.targets import Address
from .planning import COMPLETED, IN_PROGRESS, DeploymentView, NewDeployment
from .tasks import TaskProcess

_MAX_EVENTS = 100


def now() -> datetime:
    return datetime.now(UTC)


def fresh_deployment_id() -> str:
    return f"ecs-svc/{mock_random.randint(0, 32**12)}"


@dataclass
class Deployment:
    """One ECS deployment of a service (PRIMARY, or ACTIVE while being replaced)."""

    id: str
    task_definition: str
    created: datetime = field(default_factory=now)
    status: str = "PRIMARY"
    rollout_state: str = IN_PROGRESS
    reason: str = ""
    failed_tasks: int = 0

    def __post_init__(self) -> None:
        self.reason = self.reason or f"ECS deployment {self.id} in progress."

    def view(self) -> DeploymentView:
        return DeploymentView(self.id, self.task_definition, self.rollout_state, self.failed_tasks)


@dataclass
class RunningTask:
    """A task of ours: the moto record, its process and its load balancer address."""

    task: Task
    service: Service
    deployment_id: str
    target: Address
    process: TaskProcess | None = None
    start_error: str | None = None
    registered: bool = False
    ever_healthy: bool = False
    stopping: bool = False
    started: float = field(default_factory=time.monotonic)

    @property
    def service_arn(self) -> str:
        return str(self.service.arn)

    @property
    def exit_code(self) -> int | None:
        return self.process.exit_code if self.process is not None else None


@dataclass
class ServiceRuntime:
    """A service's scheduling state beside moto's record of it."""

    service: Service
    region: str
    backend: EC2ContainerServiceBackend
    deployments: list[Deployment] = field(default_factory=list)
    network_configuration: dict[str, Any] | None = None
    last_completed: str | None = None
    next_start: float = 0.0

    def deployment(self, deployment_id: str) -> Deployment:
        return next(d for d in self.deployments if d.id == deployment_id)

    def begin(self, new: NewDeployment) -> None:
        """Make `new` the PRIMARY deployment; the ones before it become ACTIVE."""
        for deployment in self.deployments:
            deployment.status = "ACTIVE"
        self.deployments.insert(0, Deployment(new.id or fresh_deployment_id(), new.task_definition))
        self.next_start = 0.0  # a new deployment is not held back by the old one's crash loop

    def mark(self, deployment_id: str, rollout_state: str, reason: str) -> None:
        deployment = self.deployment(deployment_id)
        deployment.rollout_state, deployment.reason = rollout_state, reason
        if rollout_state == COMPLETED:
            self.last_completed = deployment.task_definition

    def drop(self, deployment_id: str) -> None:
        self.deployments = [d for d in self.deployments if d.id != deployment_id]

    def publish(self, live: list[RunningTask]) -> None:
        """Write counts and deployments where DescribeServices reads them."""
        service = self.service
        service.running_count = _running(live)
        service.pending_count = len(live) - service.running_count
        service.deployments = [
            self._record(d, [r for r in live if r.deployment_id == d.id]) for d in self.deployments
        ]

    def _record(self, deployment: Deployment, tasks: list[RunningTask]) -> dict[str, Any]:
        running = _running(tasks)
        primary = deployment.status == "PRIMARY"
        return {
            "id": deployment.id,
            "status": deployment.status,
            "taskDefinition": deployment.task_definition,
            "desiredCount": int(self.service.desired_count) if primary else 0,
            "pendingCount": len(tasks) - running,
            "runningCount": running,
            "failedTasks": deployment.failed_tasks,
            "createdAt": deployment.created,
            "updatedAt": now(),
            "launchType": self.service.launch_type or "FARGATE",
            "platformVersion": "1.4.0",
            "platformFamily": "Linux",
            "networkConfiguration": self.network_configuration,
            "rolloutState": deployment.rollout_state,
            "rolloutStateReason": deployment.reason,
        }


def _running(tasks: list[RunningTask]) -> int:
    return sum(1 for r in tasks if r.task.last_status == "RUNNING")


def add_event(service: Service, message: str) -> None:
    """Newest first, as DescribeServices lists them; the oldest beyond 100 are dropped."""
    event = {"id": str(mock_random.uuid4()), "createdAt": now(), "message": message}
    service.events.insert(0, event)
    del service.events[_MAX_EVENTS:]
