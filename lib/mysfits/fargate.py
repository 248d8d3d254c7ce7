"""Module 2, part 4: the ECS cluster, log group, task definition and the Fargate service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .checks import Check
from .idioms import Answer, absent_is_none, create_if_absent, delete_if_present, retry_while
from .images import Image
from .inventory import Family, Leftover
from .loadbalancer import SERVICE_PORT, LoadBalancer
from .network import CoreNetwork
from .parameters import require_count
from .waiting import Progress, wait_until
from .workshop import Workshop

CONTAINER_NAME = "MysfitsService"
LOG_RETENTION_DAYS = 7
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


def ensure_log_group(ws: Workshop) -> str:
    """Create the service's log group with a retention period (logs are not kept forever); return its name."""
    logs, name = ws.client("logs"), ws.names.log_group
    create_if_absent(
        lambda: logs.create_log_group(logGroupName=name, tags=ws.tags),
        "ResourceAlreadyExistsException",
    )
    logs.put_retention_policy(logGroupName=name, retentionInDays=LOG_RETENTION_DAYS)
    return name


def task_definition_spec(
    ws: Workshop, network: CoreNetwork, image: Image, environment: dict[str, str] | None = None
) -> dict[str, Any]:
    """The task definition the service runs: 256 CPU units, 512 MiB, awsvpc, awslogs."""
    return {
        "family": ws.names.task_family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256",
        "memory": "512",
        "executionRoleArn": network.task_execution_role_arn,
        "taskRoleArn": network.task_role_arn,
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        "containerDefinitions": [
            {
                "name": CONTAINER_NAME,
                "image": image.uri,
                "essential": True,
                "portMappings": [{"containerPort": SERVICE_PORT, "protocol": "tcp"}],
                "environment": [
                    {"name": k, "value": v} for k, v in sorted((environment or {}).items())
                ],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": ws.names.log_group,
                        "awslogs-region": ws.region,
                        "awslogs-stream-prefix": "service",
                    },
                },
            }
        ],
    }


def _same_definition(current: dict[str, Any], spec: dict[str, Any]) -> bool:
    container, wanted = current["containerDefinitions"][0], spec["containerDefinitions"][0]
    return (
        current.get("cpu") == spec["cpu"]
        and current.get("memory") == spec["memory"]
        and current.get("taskRoleArn") == spec["taskRoleArn"]
        and current.get("executionRoleArn") == spec["executionRoleArn"]
        and container.get("image") == wanted["image"]
        and sorted(map(str, container.get("environment", [])))
        == sorted(map(str, wanted["environment"]))
        and container.get("logConfiguration") == wanted["logConfiguration"]
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
    if current is not None and active and _same_definition(current, spec):
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
        f"{current['runningCount']}/{current['desiredCount']} running, rollout {primary.get('rolloutState')}, "
        f"task definition {current['taskDefinition'].rsplit('/', 1)[-1]}"
    )
    return Check(f"service {service.name} is running", ok, evidence)


def running_tasks(ws: Workshop) -> list[dict[str, Any]]:
    """The service's tasks whose desired status is RUNNING."""
    ecs = ws.client("ecs")
    arns = ecs.list_tasks(cluster=ws.names.cluster, serviceName=ws.names.service)["taskArns"]
    return ecs.describe_tasks(cluster=ws.names.cluster, tasks=arns)["tasks"] if arns else []


def private_ip(task: dict[str, Any]) -> str | None:
    """The task's private address, which is its target id in the load balancer's target group."""
    for attachment in task.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address":
                return str(detail["value"])
    return None


def describe_task(ws: Workshop, arn: str) -> dict[str, Any]:
    """One task of the cluster as DescribeTasks shows it (stopped tasks stay listed for a while)."""
    return dict(ws.client("ecs").describe_tasks(cluster=ws.names.cluster, tasks=[arn])["tasks"][0])


def task_labels(ws: Workshop) -> dict[str, str]:
    """Private IP -> short task id and status, for running and recently stopped tasks."""
    ecs, labels = ws.client("ecs"), {}
    # Running tasks last, so they win when a stopped task's address was given out again.
    for status in ("STOPPED", "RUNNING"):
        arns = ecs.list_tasks(
            cluster=ws.names.cluster, serviceName=ws.names.service, desiredStatus=status
        )["taskArns"][:100]
        tasks = ecs.describe_tasks(cluster=ws.names.cluster, tasks=arns)["tasks"] if arns else []
        for task in tasks:
            ip = private_ip(task)
            if ip is not None:
                labels[ip] = f"{task['taskArn'].rsplit('/', 1)[-1][:8]} ({task['lastStatus']})"
    return labels


def recent_log_lines(ws: Workshop, limit: int = 10, minutes: int = 30) -> list[str]:
    """The newest lines the service's tasks wrote, from CloudWatch Logs."""
    start = int((time.time() - minutes * 60) * 1000)
    events = ws.client("logs").filter_log_events(logGroupName=ws.names.log_group, startTime=start)[
        "events"
    ]
    events.sort(key=lambda e: e["timestamp"])
    return [f"{e['logStreamName'].rsplit('/', 1)[-1][:8]}  {e['message']}" for e in events[-limit:]]


def check_logs(ws: Workshop, lines: list[str]) -> Check:
    return Check(
        f"service logs in {ws.names.log_group}", bool(lines), f"{len(lines)} recent line(s)"
    )


def delete_service(ws: Workshop, timeout: float = 600) -> bool:
    """Scale the service to 0, wait for its tasks to drain, then delete it; False if there was none."""
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


def delete_log_group(ws: Workshop) -> bool:
    """Delete the service's log group; False if it was already gone."""
    logs = ws.client("logs")
    return delete_if_present(
        lambda: logs.delete_log_group(logGroupName=ws.names.log_group), "ResourceNotFoundException"
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
