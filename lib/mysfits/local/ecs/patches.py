"""ECS API behaviours the service scheduler needs.

AWS behaviours restored (moto 5.2.5 differs on each):
- ListTasks filters by `serviceName` and lists only tasks whose desired status is RUNNING
  unless asked otherwise;
- StopTask answers with desiredStatus STOPPED while the task is still RUNNING, with
  stoppedReason "Task stopped by user" and stopCode UserInitiated by default; the
  scheduler then stops it (moto marks it STOPPED at once and nothing stops);
- a task's lastStatus changes only when the task really changes (moto advances it on read);
- CreateService and UpdateService keep `deploymentConfiguration` (moto drops it);
- awsvpc tasks get a network interface with a private DNS name (moto 5.2.5 fails to
  start any awsvpc task: its interfaces lack `private_dns_name`);
- UpdateService tells the data plane's scheduler at once, so the answer already lists the new
  PRIMARY deployment (moto only swaps the task definition).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.utils import generate_dns_from_ip
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api import state_manager

from ..core.patching import Patches

ServiceListener = Callable[[EC2ContainerServiceBackend, Service], None]


def _keep_deployment_configuration(original: Any) -> Any:
    def handler(self: EC2ContainerServiceResponse) -> Any:
        result = original(self)
        configuration = self._get_param("deploymentConfiguration")
        if configuration:
            service = self.ecs_backend._get_service(
                self._get_param("cluster", "default"),
                self._get_param("serviceName") or self._get_param("service"),
            )
            kept = {**getattr(service, "deployment_configuration", {}), **configuration}
            cast(
                Any, service
            ).deployment_configuration = kept  # moto serialises it; it declares none
        return result

    return handler


def _filtering_by_service(original: Callable[..., list[Task]]) -> Callable[..., list[Task]]:
    def list_tasks(
        self: EC2ContainerServiceBackend,
        cluster_str: str | None = None,
        container_instance: str | None = None,
        family: str | None = None,
        started_by: str | None = None,
        service_name: str | None = None,
        desiredStatus: str | None = None,
    ) -> list[Task]:
        tasks = original(
            self,
            cluster_str,
            container_instance,
            family,
            started_by,
            None,
            desiredStatus or "RUNNING",
        )
        if service_name:
            wanted = f"service:{service_name.split('/')[-1]}"
            tasks = [t for t in tasks if t.group == wanted]
        return tasks

    return list_tasks


def _stopping_later(original: Callable[..., Task]) -> Callable[..., Task]:
    def stop_task(
        self: EC2ContainerServiceBackend, cluster_str: str, task_str: str, reason: str
    ) -> Task:
        cluster = self._get_cluster(cluster_str)
        for arn, task in self.tasks.get(cluster.name, {}).items():
            if arn.endswith(task_str.split("/")[-1]) and task.group.startswith("service:"):
                if task.desired_status != "STOPPED":
                    task.desired_status = "STOPPED"
                    task.stopped_reason = reason or "Task stopped by user"
                    cast(
                        Any, task
                    ).stop_code = "UserInitiated"  # a DescribeTasks field moto does not declare
                return task
        return original(self, cluster_str, task_str, reason)

    return stop_task


def _private_dns_name() -> property:
    def get(self: NetworkInterface) -> str:
        return self.__dict__.get("_private_dns_name") or generate_dns_from_ip(
            self.private_ip_address
        )

    def set_(self: NetworkInterface, value: str) -> None:
        self.__dict__["_private_dns_name"] = value

    return property(get, set_)


def apply(patches: Patches, on_service_updated: ServiceListener) -> None:
    """Patch moto's ECS; `on_service_updated(backend, service)` runs after every UpdateService."""
    # Tasks change state when the scheduler says so, never because someone looked.
    state_manager.set_transition(
        model_name="ecs::task", transition={"progression": "manual", "times": 10**12}
    )

    def telling(original: Callable[..., Service]) -> Callable[..., Service]:
        def update_service(
            self: EC2ContainerServiceBackend, service_properties: dict[str, Any]
        ) -> Service:
            service = original(self, service_properties)
            on_service_updated(self, service)
            return service

        return update_service

    patches.wrap(
        "ecs.list-tasks-by-service", EC2ContainerServiceBackend, "list_tasks", _filtering_by_service
    )
    patches.wrap("ecs.stop-task-later", EC2ContainerServiceBackend, "stop_task", _stopping_later)
    patches.wrap(
        "ecs.update-service-tells-scheduler", EC2ContainerServiceBackend, "update_service", telling
    )
    patches.apply(
        "ecs.eni-private-dns-name", NetworkInterface, "private_dns_name", _private_dns_name()
    )
    for name in ("create_service", "update_service"):
        patches.wrap(
            f"ecs.keep-deployment-configuration.{name}",
            EC2ContainerServiceResponse,
            name,
            _keep_deployment_configuration,
        )
