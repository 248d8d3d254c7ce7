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

from typing import Any, Callable

from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ec2.utils import generate_dns_from_ip
from moto.ecs.models import EC2ContainerServiceBackend, Service, Task
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api import state_manager

_installed: list[bool] = []
ServiceListener = Callable[[EC2ContainerServiceBackend, Service], None]
_service_listeners: list[ServiceListener] = []


def on_service_updated(listener: ServiceListener) -> None:
    """Call `listener(backend, service)` after every UpdateService (one listener: the local cloud's scheduler)."""
    _service_listeners[:] = [listener]


def _keep_deployment_configuration(original: Any) -> Any:
    def handler(self: EC2ContainerServiceResponse) -> Any:
        result = original(self)
        configuration = self._get_param("deploymentConfiguration")
        if configuration:
            service = self.ecs_backend._get_service(self._get_param("cluster", "default"),
                                                    self._get_param("serviceName") or self._get_param("service"))
            service.deployment_configuration = {**getattr(service, "deployment_configuration", {}), **configuration}
        return result

    return handler


def install() -> None:
    """Patch moto's ECS once."""
    if _installed:
        return
    # Tasks change state when the scheduler says so, never because someone looked.
    state_manager.set_transition(model_name="ecs::task", transition={"progression": "manual", "times": 10**12})
    original_list, original_stop = EC2ContainerServiceBackend.list_tasks, EC2ContainerServiceBackend.stop_task

    def list_tasks(self: EC2ContainerServiceBackend, cluster_str: str | None = None,
                   container_instance: str | None = None, family: str | None = None,
                   started_by: str | None = None, service_name: str | None = None,
                   desiredStatus: str | None = None) -> list[Task]:
        tasks = original_list(self, cluster_str, container_instance, family, started_by, None,
                              desiredStatus or "RUNNING")
        if service_name:
            wanted = f"service:{service_name.split('/')[-1]}"
            tasks = [t for t in tasks if t.group == wanted]
        return tasks

    def stop_task(self: EC2ContainerServiceBackend, cluster_str: str, task_str: str, reason: str) -> Task:
        cluster = self._get_cluster(cluster_str)
        for arn, task in self.tasks.get(cluster.name, {}).items():
            if arn.endswith(task_str.split("/")[-1]) and task.group.startswith("service:"):
                if task.desired_status != "STOPPED":
                    task.desired_status = "STOPPED"
                    task.stopped_reason = reason or "Task stopped by user"
                    task.stop_code = "UserInitiated"
                return task
        return original_stop(self, cluster_str, task_str, reason)

    def private_dns_name(self: NetworkInterface) -> str:
        return self.__dict__.get("_private_dns_name") or generate_dns_from_ip(self.private_ip_address)

    def set_private_dns_name(self: NetworkInterface, value: str) -> None:
        self.__dict__["_private_dns_name"] = value

    NetworkInterface.private_dns_name = property(private_dns_name, set_private_dns_name)  # type: ignore[attr-defined]
    original_update = EC2ContainerServiceBackend.update_service

    def update_service(self: EC2ContainerServiceBackend, service_properties: dict[str, Any]) -> Service:
        service = original_update(self, service_properties)
        for listener in list(_service_listeners):
            listener(self, service)
        return service

    EC2ContainerServiceBackend.update_service = update_service  # type: ignore[method-assign]
    EC2ContainerServiceBackend.list_tasks = list_tasks  # type: ignore[method-assign]
    EC2ContainerServiceBackend.stop_task = stop_task  # type: ignore[method-assign]
    for name in ("create_service", "update_service"):
        setattr(EC2ContainerServiceResponse, name, _keep_deployment_configuration(getattr(EC2ContainerServiceResponse, name)))
    _installed.append(True)
