"""What an ECS service's scheduler does next, as a pure function of one snapshot of the service.

`plan(service)` reads a `ServiceView` (desired count, deployment configuration, deployments, the
service's tasks and their states, the clock) and returns the `Action`s that move the service one
step toward its desired state. It reads no clock and touches no moto object, process or socket:
the scheduler builds the snapshot and carries the actions out.

AWS behaviours it reproduces (docs/local-cloud.md; the ECS developer guide's rolling-update and
circuit-breaker pages):
- a service keeps desiredCount tasks; a task that exits, is stopped or fails its load balancer's
  health checks is replaced;
- a new deployment starts tasks first, within maximumPercent of desiredCount (rounded down), and
  stops the old deployment's tasks only while minimumHealthyPercent (rounded up) stay healthy;
- the circuit breaker counts tasks that never became healthy and fails the deployment after
  ceil(desired / 2) of them, clamped to [3, 200]; a FAILED deployment launches nothing more, and
  with rollback the service returns to the last COMPLETED task definition;
- a deployment is COMPLETED once desiredCount of its tasks are healthy and no other deployment
  has tasks left; a deleted service's tasks are stopped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

IN_PROGRESS, COMPLETED, FAILED = "IN_PROGRESS", "COMPLETED", "FAILED"
SERVICE_DELETED = "Service deleted"
USER_STOPPED = "Task stopped by user"
ESSENTIAL_EXITED = "Essential container in task exited"
CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."
REGISTRATION_DEADLINE = 10.0  # seconds a task may take to listen before it is registered anyway
CRASH_BACKOFF = 1.0  # seconds without launches after a failed task, as ECS throttles a crash loop


class TaskState(Enum):
    """Where one task is, as the scheduler sees it."""

    STARTING = "starting"  # its process runs; not yet registered with the target groups
    REGISTERED = "registered"  # registered; no health check has called it healthy yet
    HEALTHY = "healthy"  # registered, and every target group calls it healthy
    FAILING = "failing"  # a target group's health checks call it unhealthy
    STOPPING = "stopping"  # the scheduler is already stopping it
    EXITED = "exited"  # its process exited, or it never started


@dataclass(frozen=True)
class TaskView:
    """One task of the service. `started` is on the same clock as `ServiceView.now`."""

    arn: str
    deployment: str
    state: TaskState
    started: float = 0.0
    listening: bool = False  # its port accepts connections (only looked at while STARTING)
    ever_healthy: bool = False
    stop_requested: bool = False  # StopTask asked for it
    failing_group: str = ""  # the target group calling it unhealthy (FAILING)
    exit_code: int | None = None
    start_error: str | None = None  # why it never started (EXITED)


@dataclass(frozen=True)
class DeploymentView:
    id: str
    task_definition: str
    rollout_state: str = IN_PROGRESS
    failed_tasks: int = 0


@dataclass(frozen=True)
class DeploymentPolicy:
    """A service's deploymentConfiguration, with AWS's defaults for the rolling update."""

    maximum_percent: int = 200
    minimum_healthy_percent: int = 100
    circuit_breaker: bool = False
    rollback: bool = False

    @classmethod
    def from_configuration(cls, configuration: Mapping[str, Any]) -> DeploymentPolicy:
        breaker = configuration.get("deploymentCircuitBreaker") or {}
        return cls(
            int(configuration.get("maximumPercent", 200)),
            int(configuration.get("minimumHealthyPercent", 100)),
            bool(breaker.get("enable")),
            bool(breaker.get("rollback")),
        )

    def ceiling(self, desired: int) -> int:
        """How many tasks may run during a deployment: maximumPercent, rounded down."""
        return max(math.floor(desired * self.maximum_percent / 100), desired)

    def floor(self, desired: int) -> int:
        """How many tasks must stay healthy while deploying: minimumHealthyPercent, rounded up."""
        return math.ceil(desired * self.minimum_healthy_percent / 100)


def breaker_threshold(desired: int) -> int:
    """Failed tasks that trip the circuit breaker: ceil(desired / 2), clamped to [3, 200]."""
    return min(200, max(3, math.ceil(0.5 * desired)))


@dataclass(frozen=True)
class ServiceView:
    """One service as the scheduler sees it: `deployments` PRIMARY first, `tasks` by launch."""

    name: str
    deployments: tuple[DeploymentView, ...]
    tasks: tuple[TaskView, ...] = ()
    desired: int = 0
    active: bool = True
    policy: DeploymentPolicy = field(default_factory=DeploymentPolicy)
    last_completed: str | None = None  # the task definition of the last COMPLETED deployment
    now: float = 0.0
    starts_held_until: float = 0.0


# -- actions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StartTask:
    deployment: str


@dataclass(frozen=True)
class RegisterTask:
    """Register the task with the service's target groups; it is RUNNING from now on."""

    task: str


@dataclass(frozen=True)
class StopTask:
    """Deregister the task, then stop its process."""

    task: str
    reason: str


@dataclass(frozen=True)
class RecordStopped:
    """The task has stopped on its own: record how, and forget it."""

    task: str
    reason: str
    code: str
    exit_code: int | None


@dataclass(frozen=True)
class CountFailure:
    """One more failed task for the deployment's circuit breaker."""

    deployment: str


@dataclass(frozen=True)
class HoldStarts:
    until: float


@dataclass(frozen=True)
class MarkDeployment:
    deployment: str
    rollout_state: str
    reason: str


@dataclass(frozen=True)
class DropDeployment:
    """A replaced deployment with no task left leaves deployments[]."""

    deployment: str


@dataclass(frozen=True)
class RollBack:
    """Point the service back at a task definition; the next tick deploys it."""

    to: str


@dataclass(frozen=True)
class Event:
    message: str


Action = (
    StartTask
    | RegisterTask
    | StopTask
    | RecordStopped
    | CountFailure
    | HoldStarts
    | MarkDeployment
    | DropDeployment
    | RollBack
    | Event
)


@dataclass(frozen=True)
class NewDeployment:
    """Start a deployment of `task_definition`; `id` None means a fresh one."""

    task_definition: str
    id: str | None = None


def new_deployment(
    deployments: Sequence[DeploymentView], task_definition: str, requested_id: str | None
) -> NewDeployment | None:
    """A new deployment when the service's task definition changed or UpdateService forced one.

    `requested_id` is the deployment id moto lists: the service's first, or a new one that
    forceNewDeployment wrote over the id we published.
    """
    if not deployments:
        return NewDeployment(task_definition, requested_id)
    forced = requested_id is not None and requested_id != deployments[0].id
    if forced:
        return NewDeployment(task_definition, requested_id)
    if deployments[0].task_definition == task_definition:
        return None
    return NewDeployment(task_definition)


def plan(service: ServiceView) -> list[Action]:
    """The actions that move `service` one step toward its desired state."""
    planner = _Planner(service)
    planner.reap()
    if not service.active:
        planner.stop_all(SERVICE_DELETED)
    elif service.deployments:
        planner.schedule()
    return planner.actions


def scaling_reason(deployment: str) -> str:
    return f"Scaling activity initiated by (deployment {deployment})"


class _Planner:
    """One planning pass: the actions so far and the tasks still running after them."""

    def __init__(self, service: ServiceView):
        self.service = service
        self.actions: list[Action] = []
        self.live: list[TaskView] = []
        self.failures: dict[str, int] = {}

    # -- each task on its own --------------------------------------------------------------------

    def reap(self) -> None:
        """Settle what each task did since the last pass; keep the ones still running in `live`."""
        for task in self.service.tasks:
            if task.state is not TaskState.STOPPING:
                self._settle(task)
        if self.failures:
            self.actions.append(HoldStarts(self.service.now + CRASH_BACKOFF))

    def _settle(self, task: TaskView) -> None:
        if task.stop_requested:
            self._stop(task, USER_STOPPED)
        elif task.state is TaskState.EXITED:
            self._record_exit(task)
        elif task.state is TaskState.FAILING:
            self._count(task)
            self._stop(
                task, f"Task failed ELB health checks in (target-group {task.failing_group})"
            )
        else:
            self.live.append(self._registered(task))

    def _registered(self, task: TaskView) -> TaskView:
        """Register a task once it listens, or once it has had long enough to."""
        waited = self.service.now - task.started
        ready = task.listening or waited > REGISTRATION_DEADLINE
        if task.state is not TaskState.STARTING or not ready:
            return task
        self.actions.append(RegisterTask(task.arn))
        return replace(task, state=TaskState.REGISTERED)

    def _record_exit(self, task: TaskView) -> None:
        if task.start_error is not None:
            stopped = RecordStopped(task.arn, task.start_error, "TaskFailedToStart", None)
        else:
            stopped = RecordStopped(
                task.arn, ESSENTIAL_EXITED, "EssentialContainerExited", task.exit_code
            )
        self.actions.append(stopped)
        self._count(task)

    def _count(self, task: TaskView) -> None:
        """A task that never became healthy counts against its deployment's circuit breaker
        (while that deployment is listed: one already dropped has no breaker left to trip)."""
        listed = any(d.id == task.deployment for d in self.service.deployments)
        if listed and not task.ever_healthy:
            self.failures[task.deployment] = self.failures.get(task.deployment, 0) + 1
            self.actions.append(CountFailure(task.deployment))

    def _stop(self, task: TaskView, reason: str) -> None:
        self.actions.append(StopTask(task.arn, reason))
        if task in self.live:
            self.live.remove(task)

    def stop_all(self, reason: str) -> None:
        for task in list(self.live):
            self._stop(task, reason)

    # -- the service as a whole ------------------------------------------------------------------

    def schedule(self) -> None:
        """Launch, trim and retire tasks; drop emptied deployments; conclude the rollout."""
        primary, *older = self.service.deployments
        self._stop_strays()
        self._launch_or_trim(primary)
        self._retire(primary, older)
        remaining = [d for d in older if self._tasks_of(d)]
        self.actions += [DropDeployment(d.id) for d in older if d not in remaining]
        if primary.rollout_state == IN_PROGRESS:
            self._conclude(primary, remaining)

    def _stop_strays(self) -> None:
        """Stop tasks of no listed deployment: an earlier service of the same name left them."""
        listed = {d.id for d in self.service.deployments}
        for stray in [t for t in self.live if t.deployment not in listed]:
            self._stop(stray, SERVICE_DELETED)

    def _tasks_of(self, deployment: DeploymentView) -> list[TaskView]:
        return [t for t in self.live if t.deployment == deployment.id]

    def _launch_or_trim(self, primary: DeploymentView) -> None:
        """Start the primary's missing tasks within maximumPercent; stop those beyond desired."""
        service, ours = self.service, self._tasks_of(primary)
        held = service.now < service.starts_held_until or bool(self.failures)
        if primary.rollout_state != FAILED and not held:
            ceiling = service.policy.ceiling(service.desired)
            room = min(service.desired - len(ours), ceiling - len(self.live))
            self.actions += [StartTask(primary.id)] * max(room, 0)
        for surplus in ours[service.desired :]:
            self._stop(surplus, scaling_reason(primary.id))

    def _retire(self, primary: DeploymentView, older: list[DeploymentView]) -> None:
        """Stop older deployments' tasks: unhealthy ones at once, healthy ones above the floor."""
        floor = self.service.policy.floor(self.service.desired)
        healthy = sum(1 for t in self.live if t.state is TaskState.HEALTHY)
        for deployment in older:
            for task in self._tasks_of(deployment):
                is_healthy = task.state is TaskState.HEALTHY
                if not is_healthy or healthy - 1 >= floor:
                    self._stop(task, scaling_reason(primary.id))
                    healthy -= is_healthy

    def _conclude(self, primary: DeploymentView, remaining: list[DeploymentView]) -> None:
        """COMPLETED at steady state; FAILED (and perhaps rolled back) once the breaker trips."""
        healthy = sum(1 for t in self._tasks_of(primary) if t.state is TaskState.HEALTHY)
        if healthy >= self.service.desired and not remaining:
            self.actions += [
                MarkDeployment(primary.id, COMPLETED, f"ECS deployment {primary.id} completed."),
                Event(f"(service {self.service.name}) has reached a steady state."),
            ]
        else:
            self._trip_breaker(primary)

    def _trip_breaker(self, primary: DeploymentView) -> None:
        service = self.service
        failed = primary.failed_tasks + self.failures.get(primary.id, 0)
        if not service.policy.circuit_breaker or failed < breaker_threshold(service.desired):
            return
        self.actions += [
            MarkDeployment(primary.id, FAILED, CIRCUIT_BREAKER_REASON),
            Event(
                f"(service {service.name}) (deployment {primary.id}) deployment failed: "
                "tasks failed to start."
            ),
        ]
        target = service.last_completed
        if service.policy.rollback and target and target != primary.task_definition:
            self.actions += [
                RollBack(target),
                Event(f"(service {service.name}) rolling back to {target}."),
            ]
