"""The tasks the ECS scheduler runs: launch, register, stop and record each one, and observe it.

AWS behaviours kept here (task lifecycle, ECS developer guide): a task goes PROVISIONING →
ACTIVATING (registering with the service's target groups) → RUNNING → DEACTIVATING
(deregistering) → STOPPING → STOPPED; StopTask's reason and code win over the scheduler's; a
container's exit code is recorded when it stops.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any, cast

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecs.models import Task
from moto.elbv2.models import elbv2_backends
from moto.moto_api._internal import mock_random

from ..client import LOOPBACK_HOST
from ..core.children import Children
from ..ecr.images import ImageCache, ImageUnavailable
from ..elbv2.targets import HealthBook, TargetDirectory
from .planning import TaskState, TaskView
from .records import Deployment, RunningTask, ServiceRuntime, add_event, now
from .tasks import LogGroupMissing, TaskProcess, log_destination, open_stream


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK_HOST, 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    try:
        socket.create_connection((LOOPBACK_HOST, port), timeout=0.2).close()
        return True
    except OSError:
        return False


def _stamp(task: Task, **fields: Any) -> None:
    """Set DescribeTasks fields that moto's Task does not declare (its answer shows them all)."""
    for name, value in fields.items():
        setattr(task, name, value)


def _stop_code(task: Task) -> str | None:
    return getattr(task, "stop_code", None)


def _task_ip(task: Task) -> str:
    attachments: list[dict[str, Any]] = (
        task.attachments
    )  # moto's annotation is looser than its data
    for attachment in attachments:
        for detail in attachment.get("details", []):
            if detail["name"] == "privateIPv4Address":
                return str(detail["value"])
    return f"10.0.{mock_random.randint(2, 3)}.{mock_random.randint(4, 250)}"


class TaskFleet:
    """Every task the scheduler runs, by ARN, under `lock` (stops end on threads of their own)."""

    def __init__(
        self,
        images: ImageCache,
        directory: TargetDirectory,
        health: HealthBook,
        endpoint_url: str,
        lock: threading.RLock,
        children: Children,
    ):
        self._images = images
        self._directory = directory
        self._health = health
        self._endpoint_url = endpoint_url
        self._children = children
        self._lock = lock
        self.tasks: dict[str, RunningTask] = {}

    def of(self, service_arn: str) -> list[RunningTask]:
        """The service's tasks, in launch order."""
        return [r for r in self.tasks.values() if r.service_arn == service_arn]

    def service_arns(self) -> set[str]:
        return {r.service_arn for r in self.tasks.values()}

    # -- observing -------------------------------------------------------------------------------

    def view(self, running: RunningTask) -> TaskView:
        """The task as the planner sees it (and remember whether it was ever healthy)."""
        state, failing = self._state(running)
        running.ever_healthy = running.ever_healthy or state is TaskState.HEALTHY
        process = running.process
        listening = state is TaskState.STARTING and process is not None and _listening(process.port)
        return TaskView(
            running.task.task_arn,
            running.deployment_id,
            state,
            started=running.started,
            listening=listening,
            ever_healthy=running.ever_healthy,
            stop_requested=running.task.desired_status == "STOPPED",
            failing_group=failing,
            exit_code=running.exit_code,
            start_error=running.start_error,
        )

    def _state(self, running: RunningTask) -> tuple[TaskState, str]:
        if running.stopping:
            return TaskState.STOPPING, ""
        if running.start_error is not None or running.exit_code is not None:
            return TaskState.EXITED, ""
        if not running.registered:
            return TaskState.STARTING, ""
        failing = self._failing_group(running)
        if failing:
            return TaskState.FAILING, failing
        return (TaskState.HEALTHY if self._healthy(running) else TaskState.REGISTERED), ""

    def _target_groups(self, running: RunningTask) -> list[Any]:
        balancers = running.service.load_balancers
        arns = [lb["targetGroupArn"] for lb in balancers if lb.get("targetGroupArn")]
        return [
            group
            for backend in elbv2_backends[DEFAULT_ACCOUNT_ID].values()
            for arn in arns
            for group in [backend.target_groups.get(arn)]
            if group is not None
        ]

    def _healthy(self, running: RunningTask) -> bool:
        groups = self._target_groups(running)
        if not groups:
            return running.registered
        return all(self._health.healthy(g.arn, running.target[0]) for g in groups)

    def _failing_group(self, running: RunningTask) -> str:
        """The ARN of a target group whose health checks call this task unhealthy, if any."""
        for group in self._target_groups(running):
            health = self._health.get(group.arn, running.target[0])
            if health is not None and health.state == "unhealthy":
                return str(group.arn)
        return ""

    # -- acting ----------------------------------------------------------------------------------

    def start(self, runtime: ServiceRuntime, deployment: Deployment) -> None:
        """Launch one task of `deployment`; one that cannot start is left EXITED for the planner."""
        service, backend = runtime.service, runtime.backend
        definition = backend.describe_task_definition(deployment.task_definition)
        cluster = backend.clusters[service.cluster_name]
        task = Task(
            cluster,
            definition,
            None,
            None,
            backend,
            group=f"service:{service.name}",
            launch_type=service.launch_type or "FARGATE",
            started_by=deployment.id,
            networking_configuration=runtime.network_configuration,
            platform_version="1.4.0",
        )
        task.last_status, task.desired_status = "PROVISIONING", "RUNNING"
        _stamp(task, created_at=now(), cpu=definition.cpu, memory=definition.memory)
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        container: dict[str, Any] = definition.container_definitions[0]
        mappings = container.get("portMappings") or [{"containerPort": 8080}]
        target = (_task_ip(task), int(mappings[0]["containerPort"]))
        running = RunningTask(task, service, deployment.id, target)
        self.tasks[task.task_arn] = running
        try:
            self._launch(running, container, runtime.region)
        except (ImageUnavailable, LogGroupMissing) as problem:
            running.start_error = str(problem)
            return
        add_event(service, f"(service {service.name}) has started 1 tasks: (task {task.id}).")

    def _launch(self, running: RunningTask, container: dict[str, Any], region: str) -> None:
        task = running.task
        image = self._images.resolve(container["image"])
        destination = log_destination(container, task.id, DEFAULT_ACCOUNT_ID, region)
        if destination is not None:
            options = container["logConfiguration"].get("options", {})
            open_stream(destination, options.get("awslogs-create-group") == "true")
        port = _free_port()
        running.process = TaskProcess(
            image, container, port, self._endpoint_url, region, destination, self._children
        )
        self._directory.add(running.target, (LOOPBACK_HOST, port))
        task.last_status = "ACTIVATING"
        started = now()
        _stamp(task, started_at=started, pull_started_at=started, pull_stopped_at=started)
        task.containers[0].last_status = "RUNNING"

    def register(self, arn: str) -> None:
        running = self.tasks[arn]
        for group in self._target_groups(running):
            group.register([{"Id": running.target[0], "Port": running.target[1]}])
        running.registered = True
        running.task.last_status = "RUNNING"

    def _deregister(self, running: RunningTask) -> float:
        """Deregister from every target group; return the longest deregistration delay."""
        delay = 0.0
        for group in self._target_groups(running):
            if running.target[0] in group.targets:
                group.deregister([{"Id": running.target[0]}])
                timeout = group.attributes.get("deregistration_delay.timeout_seconds", 300)
                delay = max(delay, float(timeout))
        return delay

    def stop(self, arn: str, reason: str) -> None:
        """DEACTIVATING now; the process stops on a thread of its own, then the task is STOPPED."""
        running = self.tasks[arn]
        running.stopping = True
        task = running.task
        task.desired_status, task.last_status = "STOPPED", "DEACTIVATING"
        task.stopped_reason = task.stopped_reason or reason
        _stamp(task, stop_code=_stop_code(task) or "ServiceSchedulerInitiated", stopping_at=now())
        drain = min(self._deregister(running), 1.0)  # new connections already go elsewhere

        def finish() -> None:
            time.sleep(drain)
            task.last_status = "STOPPING"
            exit_code = running.process.stop() if running.process else None
            with self._lock:
                self._mark_stopped(running, task.stopped_reason, _stop_code(task) or "", exit_code)
                self.tasks.pop(task.task_arn, None)

        threading.Thread(target=finish, name=f"stop-{task.id[:8]}", daemon=True).start()

    def record_stopped(self, arn: str, reason: str, code: str, exit_code: int | None) -> None:
        """The task stopped on its own: record it STOPPED and forget it."""
        self._mark_stopped(self.tasks.pop(arn), reason, code, exit_code)

    def _mark_stopped(
        self, running: RunningTask, reason: str, code: str, exit_code: int | None
    ) -> None:
        task = running.task
        self._deregister(running)
        self._directory.remove(running.target)
        task.desired_status, task.last_status = "STOPPED", "STOPPED"
        task.stopped_reason = task.stopped_reason or reason
        stopped = now()
        _stamp(
            task,
            stop_code=_stop_code(task) or code,
            stopped_at=stopped,
            execution_stopped_at=stopped,
        )
        task.containers[0].last_status = "STOPPED"
        cast(
            Any, task.containers[0]
        ).exitCode = exit_code  # moto serialises this one, never `exit_code`

    def close(self) -> None:
        """Stop every task's process and forget them all (the local cloud is shutting down)."""
        with self._lock:
            running = list(self.tasks.values())
            self.tasks.clear()
        for task in running:
            if task.process is not None:
                task.process.stop(grace=3.0)
