"""A service whose tasks cannot start: each stops with TaskFailedToStart and counts toward the
deployment circuit breaker, which fails the deployment (no process is ever started)."""

from __future__ import annotations

from typing import Any

import pytest

from mysfits.workshop import Workshop

from .helpers import poll

pytestmark = pytest.mark.integration

CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."


def test_tasks_that_cannot_pull_their_image_stop_and_trip_the_circuit_breaker(ws: Workshop) -> None:
    ecs, cluster, name = ws.client("ecs"), ws.names.cluster, ws.names.service
    image = f"{ws.account_id}.dkr.ecr.{ws.region}.amazonaws.com/{ws.prefix}-absent:latest"
    ecs.create_cluster(clusterName=cluster)
    try:
        # bridge mode: moto refuses to create an awsvpc task without a network configuration
        definition = ecs.register_task_definition(
            family=ws.names.task_family,
            networkMode="bridge",
            containerDefinitions=[
                {"name": "app", "image": image, "essential": True, "memory": 128}
            ],
        )["taskDefinition"]["taskDefinitionArn"]
        breaker = {"deploymentCircuitBreaker": {"enable": True, "rollback": True}}
        ecs.create_service(
            cluster=cluster,
            serviceName=name,
            taskDefinition=definition,
            desiredCount=1,
            deploymentConfiguration=breaker,
        )

        def failed() -> dict[str, Any] | None:
            service = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
            primary = service["deployments"][0]
            return service if primary["rolloutState"] == "FAILED" else None

        service = poll(failed, 20, "the circuit breaker to fail the deployment")
        (deployment,) = service["deployments"]  # nothing completed before: no rollback
        assert deployment["rolloutStateReason"] == CIRCUIT_BREAKER_REASON
        assert deployment["failedTasks"] == 3
        assert (service["runningCount"], service["pendingCount"]) == (0, 0)
        arns = ecs.list_tasks(cluster=cluster, serviceName=name, desiredStatus="STOPPED")[
            "taskArns"
        ]
        stopped = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]
        assert len(stopped) == 3
        for task in stopped:
            assert (task["lastStatus"], task["stopCode"]) == ("STOPPED", "TaskFailedToStart")
            assert (
                task["stoppedReason"]
                == f"CannotPullContainerError: repository {ws.prefix}-absent does not exist"
            )
        assert ecs.list_tasks(cluster=cluster, serviceName=name)["taskArns"] == []
    finally:
        ecs.delete_service(cluster=cluster, service=name, force=True)
        ecs.delete_cluster(cluster=cluster)
