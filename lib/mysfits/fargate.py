"""Module 2, part 4: the ECS cluster, log group, task definition and the Fargate service.

What the service's tasks run (the task definition's document), where they run and what they
wrote are in `servicetasks`; the notebooks reach both through `fargate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .checks import Check
from .idioms import Answer, absent_is_none, delete_if_present, retry_while
from .images import Image
from .inventory import Family, Leftover
from .loadbalancer import SERVICE_PORT, LoadBalancer
from .network import CoreNetwork
from .parameters import require_count
from .servicetasks import (
    CONTAINER_NAME,
    check_logs,
    delete_log_group,
    describe_task,
    ensure_log_group,
    private_ip,
    recent_log_lines,
    running_tasks,
    same_definition,
    task_definition_spec,
    task_labels,
)
from .waiting import Progress, wait_until
from .workshop import Workshop

__all__ = [
    "CLEANUP",
    "CONTAINER_NAME",
    "NO_TASK_DEFINITION",
    "TASK_HOURLY_USD",
    "Service",
    "check_logs",
    "check_service",
    "current_task_definition",
    "delete_cluster",
    "delete_log_group",
    "delete_service",
    "deregister_task_definitions",
    "describe_task",
    "ensure_cluster",
    "ensure_log_group",
    "ensure_service",
    "ensure_task_definition",
    "find_service",
    "leftovers",
    "private_ip",
    "recent_log_lines",
    "running_tasks",
    "service_exists",
    "task_definition_spec",
    "task_labels",
    "wait_for_steady_state",
]

# Fargate, 0.25 vCPU and 0.5 GB, us-east-1 on-demand: per task and hour.
TASK_HOURLY_USD = round(0.25 * 0.04048 + 0.5 * 0.004445, 4)
# ECS has no "not found" code for task definitions; ClientException alone also means "denied".
NO_TASK_DEFINITION = Answer("ClientException", "Unable to describe task definition")


@dataclass(frozen=True)
class Service:
    cluster: str
    name: str
    arn: str
    task_definition: str
    desired_count: int


def ensure_cluster(ws: Workshop) -> str:
    """Create (or find) the ECS cluster; return its ARN."""
    ecs = ws.client("ecs")
    found = ecs.describe_clusters(clusters=[ws.names.cluster])["clusters"]
    active = [c for c in found if c["status"] == "ACTIVE"]
    if active:
        return str(active[0]["clusterArn"])
    return str(
        ecs.create_cluster(clusterName=ws.names.cluster, tags=ws.tag_list("key", "value"))[
            "cluster"
        ]["clusterArn"]
    )


def current_task_definition(ws: Workshop) -> dict[str, Any] | None:
    """What the service runs now (its task definition), or else the family's latest revision."""
    ecs, service = ws.client("ecs"), _describe(ws)
    wanted = service["taskDefinition"] if service is not None else ws.names.task_family
    return absent_is_none(
        lambda: dict(ecs.describe_task_definition(taskDefinition=wanted)["taskDefinition"]),
        NO_TASK_DEFINITION,
        "InvalidParameterException",
    )


def ensure_task_definition(
    ws: Workshop, network: CoreNetwork, image: Image, environment: dict[str, str] | None = None
) -> str:
    """Register a new revision only when the wanted one differs from what the service runs; its ARN.

    Images are compared by URI: the tag names the source, so equal URIs mean the same source
    whatever the digests (two Docker builds of one source differ in theirs).
    """
    spec = task_definition_spec(ws, network, image, environment)
    current = current_task_definition(ws)
    active = current is not None and current.get("status") == "ACTIVE"
    if current is not None and active and same_definition(current, spec):
        return str(current["taskDefinitionArn"])
    registered = ws.client("ecs").register_task_definition(**spec, tags=ws.tag_list("key", "value"))
    return str(registered["taskDefinition"]["taskDefinitionArn"])


def find_service(ws: Workshop) -> dict[str, Any] | None:
    """The workshop's ACTIVE service as DescribeServices shows it; None when there is none."""
    return _describe(ws)


def _describe(ws: Workshop) -> dict[str, Any] | None:
    ecs, cluster, wanted = ws.client("ecs"), ws.names.cluster, [ws.names.service]
    services = (
        absent_is_none(
            lambda: ecs.describe_services(cluster=cluster, services=wanted)["services"],
            "ClusterNotFoundException",
        )
        or []
    )
    active = [s for s in services if s["status"] == "ACTIVE"]
    return active[0] if active else None


def service_exists(ws: Workshop) -> bool:
    """Whether the service exists (and is not being deleted)."""
    return _describe(ws) is not None


def ensure_service(
    ws: Workshop,
    network: CoreNetwork,
    balancer: LoadBalancer,
    task_definition: str,
    desired_count: int = 2,
) -> Service:
    """Create the service (or roll it to `task_definition`): private subnets, no public IP,
    behind the NLB.

    A `desired_count` outside 1..10 raises InvalidParameters before any call: a service of 0
    tasks would leave the steady-state wait with nothing to wait for until it timed out.
    """
    require_count("desired_count", desired_count)
    ecs = ws.client("ecs")
    deployment = {
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    }
    existing = _describe(ws)
    if existing is None:
        created = ecs.create_service(
            cluster=ws.names.cluster,
            serviceName=ws.names.service,
            taskDefinition=task_definition,
            desiredCount=desired_count,
            launchType="FARGATE",
            deploymentConfiguration=deployment,
            networkConfiguration={
                "awsvpcConfiguration": {
                    "subnets": list(network.private_subnets),
                    "securityGroups": [network.service_security_group],
                    "assignPublicIp": "DISABLED",
                }
            },
            loadBalancers=[
                {
                    "targetGroupArn": balancer.target_group_arn,
                    "containerName": CONTAINER_NAME,
                    "containerPort": SERVICE_PORT,
                }
            ],
            healthCheckGracePeriodSeconds=60,
            tags=ws.tag_list("key", "value"),
            propagateTags="SERVICE",
        )["service"]
        arn = created["serviceArn"]
    else:
        arn = existing["serviceArn"]
        if (
            existing["taskDefinition"] != task_definition
            or existing["desiredCount"] != desired_count
        ):
            ecs.update_service(
                cluster=ws.names.cluster,
                service=ws.names.service,
                taskDefinition=task_definition,
                desiredCount=desired_count,
                deploymentConfiguration=deployment,
            )
    return Service(ws.names.cluster, ws.names.service, arn, task_definition, desired_count)


def wait_for_steady_state(ws: Workshop, service: Service, timeout: float = 900) -> dict[str, Any]:
    """Wait until one deployment remains, COMPLETED, with every desired task running."""
    seen: list[dict[str, Any]] = []

    def steady() -> dict[str, Any] | None:
        current = _describe(ws)
        seen[:] = [current] if current is not None else []
        if current is None:
            return None
        deployments = current.get("deployments", [])
        failed = [d for d in deployments if d.get("rolloutState") == "FAILED"]
        if failed and len(deployments) == 1:
            return current  # rolled back or failed: let the check say so
        done = (
            len(deployments) == 1
            and deployments[0].get("rolloutState") == "COMPLETED"
            and current["runningCount"] == current["desiredCount"] == service.desired_count
        )
        return current if done else None

    def progress() -> Progress:
        deployments = seen[0]["deployments"] if seen else []
        primary: dict[str, Any] = next((d for d in deployments if d["status"] == "PRIMARY"), {})
        running = int(primary.get("runningCount", 0))
        rollout = primary.get("rolloutState", "not started")
        return Progress(running, service.desired_count, "new tasks running", f"rollout {rollout}")

    return wait_until(
        steady,
        what=f"service {service.name} to reach a steady state",
        timeout=timeout,
        interval=2,
        progress=progress,
        hint="Read the service events (describe_services) and the task logs for the reason.",
    )


def check_service(ws: Workshop, service: Service) -> Check:
    """The service runs its desired count on the wanted task definition, rollout completed."""
    current = _describe(ws)
    if current is None:
        return Check(f"service {service.name} is running", False, "no ACTIVE service")
    primary: dict[str, Any] = next(
        (d for d in current["deployments"] if d["status"] == "PRIMARY"), {}
    )
    ok = (
        current["runningCount"] == service.desired_count
        and primary.get("rolloutState") == "COMPLETED"
        and current["taskDefinition"] == service.task_definition
    )
    evidence = (
        f"{current['runningCount']}/{current['desiredCount']} running, "
        f"rollout {primary.get('rolloutState')}, "
        f"task definition {current['taskDefinition'].rsplit('/', 1)[-1]}"
    )
    return Check(f"service {service.name} is running", ok, evidence)


def delete_service(ws: Workshop, timeout: float = 600) -> bool:
    """Scale the service to 0, wait until its tasks drained, delete it; False if there was none."""
    ecs = ws.client("ecs")
    if _describe(ws) is None:
        return False
    ecs.update_service(cluster=ws.names.cluster, service=ws.names.service, desiredCount=0)
    wait_until(
        lambda: not running_tasks(ws) or None,
        what="service tasks to stop",
        timeout=timeout,
        interval=2,
    )
    ecs.delete_service(cluster=ws.names.cluster, service=ws.names.service, force=True)
    return True


def deregister_task_definitions(ws: Workshop) -> int:
    """Deregister every active revision of the service's family; return how many."""
    ecs = ws.client("ecs")
    arns = [
        arn
        for page in ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=ws.names.task_family, status="ACTIVE"
        )
        for arn in page["taskDefinitionArns"]
    ]
    for arn in arns:
        ecs.deregister_task_definition(taskDefinition=arn)
    return len(arns)


def delete_cluster(ws: Workshop, timeout: float = 300) -> bool:
    """Delete the cluster; False if there was none.

    AWS refuses while a deleted service is still draining or its tasks are still stopping
    (ClusterContainsServicesException, ClusterContainsTasksException): that passes, so retry.
    """
    ecs, name = ws.client("ecs"), ws.names.cluster
    return retry_while(
        lambda: delete_if_present(
            lambda: ecs.delete_cluster(cluster=name), "ClusterNotFoundException"
        ),
        "ClusterContainsServicesException",
        "ClusterContainsTasksException",
        what=f"cluster {name} to be deletable",
        timeout=timeout,
        interval=5,
        hint=f"A service or task is still stopping: `aws ecs list-tasks --cluster {name}`.",
    )


def _cluster_leftovers(ws: Workshop) -> Iterator[Leftover]:
    ecs = ws.client("ecs")
    found = ecs.describe_clusters(clusters=[ws.names.cluster])["clusters"]
    for cluster in (c for c in found if c["status"] == "ACTIVE"):  # deleted ones linger INACTIVE
        arn = cluster["clusterArn"]
        arns = ecs.list_services(cluster=arn)["serviceArns"]
        services = ecs.describe_services(cluster=arn, services=arns)["services"] if arns else []
        for service in (s for s in services if s["status"] == "ACTIVE"):
            hourly = round(service["desiredCount"] * TASK_HOURLY_USD, 4)
            yield Leftover("ecs service", service["serviceName"], hourly)
        yield Leftover("ecs cluster", cluster["clusterName"])


def _task_definition_leftovers(ws: Workshop) -> Iterator[Leftover]:
    pages = (
        ws.client("ecs")
        .get_paginator("list_task_definitions")
        .paginate(familyPrefix=ws.names.task_family, status="ACTIVE")
    )
    for page in pages:
        for arn in page["taskDefinitionArns"]:
            yield Leftover("ecs task definition", arn.rsplit("/", 1)[-1])


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The cluster, its services (tasks bill per hour), task definitions, the prefix's logs."""
    yield from _cluster_leftovers(ws)
    yield from _task_definition_leftovers(ws)
    groups = ws.client("logs").describe_log_groups(logGroupNamePrefix=f"/{ws.prefix}/")["logGroups"]
    yield from (Leftover("log group", g["logGroupName"]) for g in groups)


# The service first (its tasks keep the cluster busy); the cluster last, once it is empty.
CLEANUP = Family(
    leftovers,
    steps=(
        ("ECS service", delete_service),
        ("task definitions", deregister_task_definitions),
        ("log group", delete_log_group),
        ("ECS cluster", delete_cluster),
    ),
)
