"""Module 2's service checks fail on a service that does not run as wanted, pass on one that does.

ECS runs in-process (moto), which creates services but never runs their tasks: a new service
stays at 0 running with its rollout IN_PROGRESS, a realistic broken state. The steady state
is moto's own description with the counts and rollout a scheduler reports once tasks run,
served through a stubbed client. Logs are moto's CloudWatch Logs.
"""

from __future__ import annotations

import time

import pytest

from mysfits import fargate
from mysfits.workshop import Workshop

from .fakes import create_service, reported_service, stub


@pytest.fixture
def service(ws: Workshop) -> fargate.Service:
    arn, definition = create_service(ws, "repo:src-1")
    return fargate.Service(ws.names.cluster, ws.names.service, arn, definition, 2)


def test_service_passes_once_every_task_runs_the_wanted_revision(
    ws: Workshop, service: fargate.Service
) -> None:
    steady = reported_service(ws, 2, "COMPLETED", service.task_definition)
    ecs = stub(ws, "ecs")
    ecs.add_response("describe_services", steady)
    check = fargate.check_service(ws, service)
    assert check.ok, check
    assert (
        check.evidence
        == f"2/2 running, rollout COMPLETED, task definition {ws.names.task_family}:1"
    )
    ecs.assert_no_pending_responses()


def test_service_fails_while_no_task_runs(ws: Workshop, service: fargate.Service) -> None:
    check = fargate.check_service(ws, service)
    assert not check.ok
    assert check.evidence.startswith("0/2 running, rollout IN_PROGRESS")


def test_service_fails_after_the_circuit_breaker_rolled_back(
    ws: Workshop, service: fargate.Service
) -> None:
    # Revision 2 crashed on start; ECS went back to revision 1, which runs fine.
    rolled_back = reported_service(ws, 2, "COMPLETED", service.task_definition)
    wanted = service.task_definition.replace(":1", ":2")
    ecs = stub(ws, "ecs")
    ecs.add_response("describe_services", rolled_back)
    check = fargate.check_service(
        ws, fargate.Service(service.cluster, service.name, service.arn, wanted, 2)
    )
    assert not check.ok and check.evidence.endswith(f"task definition {ws.names.task_family}:1")


def test_service_fails_when_there_is_none(ws: Workshop) -> None:
    gone = fargate.Service(ws.names.cluster, ws.names.service, "arn", "arn:td:1", 2)
    check = fargate.check_service(ws, gone)
    assert not check.ok and check.evidence == "no ACTIVE service"


# -- logs ------------------------------------------------------------------------------------------


@pytest.fixture
def log_group(ws: Workshop) -> str:
    name = fargate.ensure_log_group(ws)
    ws.client("logs").create_log_stream(
        logGroupName=name, logStreamName="service/MysfitsService/0a1b2c3d4e5f"
    )
    return name


def _write(ws: Workshop, group: str, minutes_ago: float, *messages: str) -> None:
    at = int((time.time() - minutes_ago * 60) * 1000)
    ws.client("logs").put_log_events(
        logGroupName=group,
        logStreamName="service/MysfitsService/0a1b2c3d4e5f",
        logEvents=[{"timestamp": at + i, "message": m} for i, m in enumerate(messages)],
    )


def test_logs_pass_when_the_tasks_wrote_recently(ws: Workshop, log_group: str) -> None:
    _write(ws, log_group, 1, "serving on 0.0.0.0:8080", "GET / 200")
    lines = fargate.recent_log_lines(ws)
    check = fargate.check_logs(ws, lines)
    assert check.ok and check.evidence == "2 recent line(s)"
    assert lines == ["0a1b2c3d  serving on 0.0.0.0:8080", "0a1b2c3d  GET / 200"]


def test_logs_fail_when_the_tasks_wrote_nothing(ws: Workshop, log_group: str) -> None:
    check = fargate.check_logs(ws, fargate.recent_log_lines(ws))
    assert not check.ok and check.evidence == "0 recent line(s)"


def test_logs_fail_when_the_tasks_stopped_writing_an_hour_ago(ws: Workshop, log_group: str) -> None:
    _write(ws, log_group, 60, "serving on 0.0.0.0:8080")
    check = fargate.check_logs(ws, fargate.recent_log_lines(ws))
    assert not check.ok
