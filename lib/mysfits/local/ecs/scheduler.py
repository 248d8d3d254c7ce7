"""The ECS service scheduler: keeps each service's tasks running as local processes.

What it reproduces from AWS: desiredCount tasks per service; a stopped or crashed task
is replaced; a new task definition rolls out within maximumPercent / minimumHealthyPercent
(new tasks first, old ones stopped once the new ones are healthy); the deployment circuit
breaker fails a rollout after max(3, ceil(desired/2)) failed tasks and rolls back; tasks
register with the service's target groups while ACTIVATING and deregister before stopping.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task, TaskDefinition, ecs_backends
from moto.elbv2.models import elbv2_backends
from moto.moto_api._internal import mock_random

from ..client import LOOPBACK_HOST
from ..ecr.images import ImageCache, ImageUnavailable
from ..elbv2.targets import Address, HealthBook, TargetDirectory
from .tasks import LogGroupMissing, TaskProcess, log_destination, open_stream

_REGISTRATION_DEADLINE = 10.0  # seconds a task may take to listen before it is registered anyway
_MAX_EVENTS = 100


def _now() -> datetime:
    return datetime.now(timezone.utc)


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


@dataclass
class Deployment:
    """One ECS deployment of a service (PRIMARY, or ACTIVE while being replaced)."""

    id: str
    task_definition: str
    created: datetime = field(default_factory=_now)
    status: str = "PRIMARY"
    rollout_state: str = "IN_PROGRESS"
    reason: str = ""
    failed_tasks: int = 0

    def __post_init__(self) -> None:
        self.reason = self.reason or f"ECS deployment {self.id} in progress."


@dataclass
class RunningTask:
    """A task of ours: the moto record, its process and its load balancer address."""

    task: Task
    service_arn: str
    deployment_id: str
    target: Address
    process: TaskProcess | None = None
    registered: bool = False
    ever_healthy: bool = False
    stopping: bool = False
    started: float = field(default_factory=time.monotonic)


@dataclass
class ServiceRuntime:
    service: Service
    deployments: list[Deployment] = field(default_factory=list)
    network_configuration: dict[str, Any] | None = None
    last_completed: str | None = None
    next_start: float = 0.0


class EcsScheduler:
    """Reconciles every ECS service's tasks with its desired state, one `tick` at a time."""

    def __init__(self, images: ImageCache, directory: TargetDirectory, health: HealthBook, endpoint_url: str):
        self._images = images
        self._directory = directory
        self._health = health
        self._endpoint_url = endpoint_url
        self._tasks: dict[str, RunningTask] = {}
        self._services: dict[str, ServiceRuntime] = {}
        self._lock = threading.RLock()

    def tick(self) -> None:
        with self._lock:
            self._reap()
            live: set[str] = set()
            for region, backend in list(ecs_backends[DEFAULT_ACCOUNT_ID].items()):
                for service in list(backend.services.values()):
                    live.add(service.arn)
                    self._reconcile(region, backend, service)
            for running in list(self._tasks.values()):
                if running.service_arn not in live:
                    self._begin_stop(running, "Service deleted")

    # -- tasks ------------------------------------------------------------------------------

    def _reap(self) -> None:
        for arn, running in list(self._tasks.items()):
            task = running.task
            if running.stopping:
                continue
            if task.desired_status == "STOPPED":
                self._begin_stop(running, task.stopped_reason or "Task stopped by user")
                continue
            exit_code = running.process.exit_code if running.process else None
            if exit_code is not None:
                self._mark_stopped(running, "Essential container in task exited", "EssentialContainerExited", exit_code)
                del self._tasks[arn]
                continue
            if not running.registered and running.process is not None and (
                    _listening(running.process.port) or time.monotonic() - running.started > _REGISTRATION_DEADLINE):
                self._register(running)
            if running.registered and self._healthy(running):
                running.ever_healthy = True
            failing = self._failing_group(running)
            if failing is not None:
                if not running.ever_healthy:
                    self._count_failure(running)
                self._begin_stop(running, f"Task failed ELB health checks in (target-group {failing})")

    def _start(self, region: str, backend: EC2ContainerServiceBackend, service: Service, runtime: ServiceRuntime,
               deployment: Deployment, definition: TaskDefinition) -> None:
        cluster = backend.clusters[service.cluster_name]
        task = Task(cluster, definition, None, None, backend, group=f"service:{service.name}",
                    launch_type=service.launch_type or "FARGATE", started_by=deployment.id,
                    networking_configuration=runtime.network_configuration, platform_version="1.4.0")
        task.last_status, task.desired_status = "PROVISIONING", "RUNNING"
        task.created_at = _now()
        task.cpu, task.memory = definition.cpu, definition.memory
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        container = definition.container_definitions[0]
        container_port = int((container.get("portMappings") or [{"containerPort": 8080}])[0]["containerPort"])
        running = RunningTask(task, service.arn, deployment.id, (_task_ip(task), container_port))
        self._tasks[task.task_arn] = running
        try:
            image = self._images.resolve(container["image"])
            destination = log_destination(container, task.id, DEFAULT_ACCOUNT_ID, region)
            if destination is not None:
                options = container["logConfiguration"].get("options", {})
                open_stream(destination, options.get("awslogs-create-group") == "true")
        except (ImageUnavailable, LogGroupMissing) as problem:
            self._mark_stopped(running, str(problem), "TaskFailedToStart", None)
            del self._tasks[task.task_arn]
            return
        port = _free_port()
        running.process = TaskProcess(image, container, port, self._endpoint_url, region, destination)
        self._directory.add(running.target, (LOOPBACK_HOST, port))
        task.last_status, task.started_at = "ACTIVATING", _now()
        task.pull_started_at = task.pull_stopped_at = task.started_at
        task.containers[0].last_status = "RUNNING"
        _event(service, f"(service {service.name}) has started 1 tasks: (task {task.id}).")

    def _register(self, running: RunningTask) -> None:
        for group in self._target_groups(running):
            group.register([{"Id": running.target[0], "Port": running.target[1]}])
        running.registered = True
        running.task.last_status = "RUNNING"

    def _target_groups(self, running: RunningTask) -> list[Any]:
        service = _service_by_arn(running.service_arn)
        if service is None:
            return []
        arns = [lb["targetGroupArn"] for lb in service.load_balancers if lb.get("targetGroupArn")]
        return [g for backend in elbv2_backends[DEFAULT_ACCOUNT_ID].values() for arn in arns
                for g in [backend.target_groups.get(arn)] if g is not None]

    def _healthy(self, running: RunningTask) -> bool:
        groups = self._target_groups(running)
        if not groups:
            return running.registered
        return all(self._health.healthy(g.arn, running.target[0]) for g in groups)

    def _failing_group(self, running: RunningTask) -> str | None:
        """The ARN of a target group whose health checks call this task unhealthy, if any."""
        for group in self._target_groups(running):
            health = self._health.get(group.arn, running.target[0])
            if health is not None and health.state == "unhealthy":
                return str(group.arn)
        return None

    def _deregister(self, running: RunningTask) -> float:
        """Deregister from every target group; return the longest deregistration delay."""
        delay = 0.0
        for group in self._target_groups(running):
            if running.target[0] in group.targets:
                group.deregister([{"Id": running.target[0]}])
                delay = max(delay, float(group.attributes.get("deregistration_delay.timeout_seconds", 300)))
        return delay

    def _begin_stop(self, running: RunningTask, reason: str) -> None:
        running.stopping = True
        task = running.task
        task.desired_status, task.last_status = "STOPPED", "DEACTIVATING"
        task.stopped_reason = task.stopped_reason or reason
        task.stop_code = getattr(task, "stop_code", None) or "ServiceSchedulerInitiated"
        task.stopping_at = _now()
        drain = min(self._deregister(running), 1.0)  # new connections already go elsewhere

        def finish() -> None:
            time.sleep(drain)
            task.last_status = "STOPPING"
            exit_code = running.process.stop() if running.process else None
            with self._lock:
                self._mark_stopped(running, task.stopped_reason, task.stop_code, exit_code)
                self._tasks.pop(task.task_arn, None)

        threading.Thread(target=finish, name=f"stop-{task.id[:8]}", daemon=True).start()

    def _mark_stopped(self, running: RunningTask, reason: str, code: str, exit_code: int | None) -> None:
        task = running.task
        self._deregister(running)
        self._directory.remove(running.target)
        task.desired_status, task.last_status = "STOPPED", "STOPPED"
        task.stopped_reason = task.stopped_reason or reason
        task.stop_code = getattr(task, "stop_code", None) or code
        task.stopped_at = task.execution_stopped_at = _now()
        task.containers[0].last_status = "STOPPED"
        task.containers[0].exitCode = exit_code  # the attribute moto serialises (it never reads `exit_code`)
        if not running.ever_healthy and code in {"EssentialContainerExited", "TaskFailedToStart"}:
            self._count_failure(running)

    def _count_failure(self, running: RunningTask) -> None:
        """A task that never became healthy counts against its deployment's circuit breaker."""
        runtime = self._services.get(running.service_arn)
        if runtime is None:
            return
        for deployment in runtime.deployments:
            if deployment.id == running.deployment_id:
                deployment.failed_tasks += 1
        runtime.next_start = time.monotonic() + 1.0  # back off a crash loop, as ECS throttles it

    # -- services ---------------------------------------------------------------------------

    def _reconcile(self, region: str, backend: EC2ContainerServiceBackend, service: Service) -> None:
        runtime = self._services.get(service.arn)
        if runtime is None or runtime.service is not service:  # a service re-created under the same name
            runtime = self._services[service.arn] = ServiceRuntime(service)
        mine = [r for r in self._tasks.values() if r.service_arn == service.arn and not r.stopping]
        if service.status != "ACTIVE":
            for running in mine:
                self._begin_stop(running, "Service deleted")
            return
        if runtime.network_configuration is None and service.deployments:
            runtime.network_configuration = service.deployments[0].get("networkConfiguration")
        definition = backend.describe_task_definition(service.task_definition)
        self._follow_deployment(service, runtime, definition.arn)
        primary = runtime.deployments[0]
        configuration = getattr(service, "deployment_configuration", {}) or {}
        desired = int(service.desired_count)
        maximum = math.floor(desired * int(configuration.get("maximumPercent", 200)) / 100)
        minimum_healthy = math.ceil(desired * int(configuration.get("minimumHealthyPercent", 100)) / 100)
        by_deployment = {d.id: [r for r in mine if r.deployment_id == d.id] for d in runtime.deployments}
        primary_tasks = by_deployment[primary.id]

        if primary.rollout_state != "FAILED" and time.monotonic() >= runtime.next_start:
            room = min(desired - len(primary_tasks), max(maximum, desired) - len(mine))
            for _ in range(max(room, 0)):
                self._start(region, backend, service, runtime, primary, definition)
        for surplus in primary_tasks[desired:]:
            self._begin_stop(surplus, f"Scaling activity initiated by (deployment {primary.id})")

        healthy_total = sum(1 for r in mine if self._healthy(r))
        for deployment in runtime.deployments[1:]:
            for running in by_deployment[deployment.id]:
                healthy = self._healthy(running)
                if not healthy or healthy_total - 1 >= minimum_healthy:
                    self._begin_stop(running, f"Scaling activity initiated by (deployment {primary.id})")
                    healthy_total -= 1 if healthy else 0
        runtime.deployments = [primary] + [d for d in runtime.deployments[1:]
                                           if any(r.deployment_id == d.id and not r.stopping for r in self._tasks.values())]
        primary_healthy = [r for r in self._tasks.values()
                           if r.deployment_id == primary.id and not r.stopping and self._healthy(r)]
        if primary.rollout_state == "IN_PROGRESS":
            if len(primary_healthy) >= desired and len(runtime.deployments) == 1:
                primary.rollout_state, primary.reason = "COMPLETED", f"ECS deployment {primary.id} completed."
                runtime.last_completed = primary.task_definition
                _event(service, f"(service {service.name}) has reached a steady state.")
            else:
                self._trip_breaker(service, runtime, primary, configuration, desired)
        self._publish(service, runtime)

    def service_updated(self, backend: EC2ContainerServiceBackend, service: Service) -> None:
        """UpdateService changed the task definition (or forced a deployment): list the new
        PRIMARY deployment at once, as AWS does in the UpdateService answer, instead of at the
        next tick (until then DescribeServices showed the old deployment COMPLETED under the new
        task definition, and a steady-state wait returned before the rollout began)."""
        with self._lock:
            runtime = self._services.get(service.arn)
            if runtime is None or runtime.service is not service or service.status != "ACTIVE":
                return  # not scheduled yet: the next tick starts from the service as it is
            self._follow_deployment(service, runtime, backend.describe_task_definition(service.task_definition).arn)
            self._publish(service, runtime)

    def _follow_deployment(self, service: Service, runtime: ServiceRuntime, definition_arn: str) -> None:
        """Start a new deployment when the task definition changes or a new one is forced."""
        moto_id = service.deployments[0]["id"] if service.deployments else None
        primary = runtime.deployments[0] if runtime.deployments else None
        forced = primary is not None and moto_id is not None and moto_id != primary.id
        if primary is not None and primary.task_definition == definition_arn and not forced:
            return
        new_id = moto_id if primary is None or forced else f"ecs-svc/{mock_random.randint(0, 32**12)}"
        for deployment in runtime.deployments:
            deployment.status = "ACTIVE"
        runtime.deployments.insert(0, Deployment(new_id or f"ecs-svc/{mock_random.randint(0, 32**12)}", definition_arn))
        runtime.next_start = 0.0

    def _trip_breaker(self, service: Service, runtime: ServiceRuntime, primary: Deployment,
                      configuration: dict[str, Any], desired: int) -> None:
        breaker = configuration.get("deploymentCircuitBreaker") or {}
        threshold = min(200, max(3, math.ceil(0.5 * desired)))
        if not breaker.get("enable") or primary.failed_tasks < threshold:
            return
        primary.rollout_state = "FAILED"
        primary.reason = "ECS deployment circuit breaker: tasks failed to start."
        _event(service, f"(service {service.name}) (deployment {primary.id}) deployment failed: tasks failed to start.")
        if breaker.get("rollback") and runtime.last_completed and runtime.last_completed != primary.task_definition:
            service.task_definition = runtime.last_completed
            _event(service, f"(service {service.name}) rolling back to {runtime.last_completed}.")

    def _publish(self, service: Service, runtime: ServiceRuntime) -> None:
        """Write counts and deployments where DescribeServices reads them."""
        live = [r for r in self._tasks.values() if r.service_arn == service.arn and not r.stopping]
        service.running_count = sum(1 for r in live if r.task.last_status == "RUNNING")
        service.pending_count = len(live) - service.running_count
        deployments = []
        for deployment in runtime.deployments:
            mine = [r for r in live if r.deployment_id == deployment.id]
            running = sum(1 for r in mine if r.task.last_status == "RUNNING")
            deployments.append({
                "id": deployment.id, "status": deployment.status, "taskDefinition": deployment.task_definition,
                "desiredCount": int(service.desired_count) if deployment.status == "PRIMARY" else 0,
                "pendingCount": len(mine) - running, "runningCount": running,
                "failedTasks": deployment.failed_tasks, "createdAt": deployment.created, "updatedAt": _now(),
                "launchType": service.launch_type or "FARGATE", "platformVersion": "1.4.0",
                "platformFamily": "Linux", "networkConfiguration": runtime.network_configuration,
                "rolloutState": deployment.rollout_state, "rolloutStateReason": deployment.reason,
            })
        service.deployments = deployments

    def close(self) -> None:
        """Stop every task process (the local cloud is shutting down)."""
        with self._lock:
            running = list(self._tasks.values())
            self._tasks.clear()
        for task in running:
            if task.process is not None:
                task.process.stop(grace=3.0)


def _task_ip(task: Task) -> str:
    for attachment in task.attachments:
        for detail in attachment.get("details", []):
            if detail["name"] == "privateIPv4Address":
                return str(detail["value"])
    return f"10.0.{mock_random.randint(2, 3)}.{mock_random.randint(4, 250)}"


def _service_by_arn(arn: str) -> Service | None:
    for backend in ecs_backends[DEFAULT_ACCOUNT_ID].values():
        for service in backend.services.values():
            if service.arn == arn:
                return service
    return None


def _event(service: Service, message: str) -> None:
    service.events.insert(0, {"id": str(mock_random.uuid4()), "createdAt": _now(), "message": message})
    del service.events[_MAX_EVENTS:]
