"""The service's tasks: the definition they run from, where each runs, what they wrote to logs."""

from __future__ import annotations

import time
from typing import Any

from .checks import Check
from .idioms import create_if_absent, delete_if_present
from .images import Image
from .loadbalancer import SERVICE_PORT
from .network import CoreNetwork
from .workshop import Workshop

CONTAINER_NAME = "MysfitsService"
LOG_RETENTION_DAYS = 7


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


def same_definition(current: dict[str, Any], spec: dict[str, Any]) -> bool:
    """Whether the registered definition `current` already is what `spec` asks for."""
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


def ensure_log_group(ws: Workshop) -> str:
    """Create the service's log group, whose logs expire after LOG_RETENTION_DAYS; its name."""
    logs, name = ws.client("logs"), ws.names.log_group
    create_if_absent(
        lambda: logs.create_log_group(logGroupName=name, tags=ws.tags),
        "ResourceAlreadyExistsException",
    )
    logs.put_retention_policy(logGroupName=name, retentionInDays=LOG_RETENTION_DAYS)
    return name


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
    """Passes when the service's tasks wrote at least one line lately."""
    return Check(
        f"service logs in {ws.names.log_group}", bool(lines), f"{len(lines)} recent line(s)"
    )


def delete_log_group(ws: Workshop) -> bool:
    """Delete the service's log group; False if it was already gone."""
    logs = ws.client("logs")
    return delete_if_present(
        lambda: logs.delete_log_group(logGroupName=ws.names.log_group), "ResourceNotFoundException"
    )
