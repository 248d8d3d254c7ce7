"""The pipeline's checks: a release that failed a stage, or a service not running its image, fails.

CodePipeline answers through a stubbed client (moto does not run executions); ECS is moto's,
with the scheduler's steady state served through a stubbed client where a test needs it.
"""

from __future__ import annotations

from typing import Any

from mysfits import releasewatch
from mysfits.releases import Push
from mysfits.workshop import Workshop

from .fakes import create_service, reported_service, stub

# An S3 version id of the source, and the tag the bundle gives its image (src- and a context hash).
VERSION = "Zq8LzNdkBEm4ZMa1SXLb3T0d2ntHqQhN"
TAG = "src-5e1ea5ed0a1b"
EXECUTION = "4f2d5d2e-3b5e-4b8a-9d0c-1b2a3c4d5e6f"


def _release(ws: Workshop, status: str, stages: dict[str, str]) -> releasewatch.Release:
    """Wait for the release of VERSION while CodePipeline reports it `status`, with `stages`."""
    codepipeline = stub(ws, "codepipeline")
    summary: dict[str, Any] = {
        "pipelineExecutionId": EXECUTION,
        "status": status,
        "sourceRevisions": [{"actionName": "Source", "revisionId": VERSION}],
    }
    codepipeline.add_response(
        "list_pipeline_executions",
        {"pipelineExecutionSummaries": [summary]},
        {"pipelineName": ws.names.pipeline},
    )
    state = {
        "pipelineName": ws.names.pipeline,
        "stageStates": [
            {
                "stageName": name,
                "latestExecution": {"pipelineExecutionId": EXECUTION, "status": state},
            }
            for name, state in stages.items()
        ],
    }
    # Once while the release is watched, once more for the stages it ended with.
    for _ in range(2):
        codepipeline.add_response("get_pipeline_state", state, {"name": ws.names.pipeline})
    push = Push(VERSION, TAG, {}, changed=True)
    release = releasewatch.wait_for_release(ws, push, timeout=1, write=lambda _: None)
    codepipeline.assert_no_pending_responses()
    return release


def test_release_passes_when_every_stage_succeeded(ws: Workshop) -> None:
    release = _release(
        ws, "Succeeded", {"Source": "Succeeded", "Build": "Succeeded", "Deploy": "Succeeded"}
    )
    check = releasewatch.check_release(ws, release)
    assert check.ok and check.evidence.startswith(f"execution {EXECUTION}: Succeeded")


def test_release_fails_when_the_build_failed(ws: Workshop) -> None:
    release = _release(
        ws, "Failed", {"Source": "Succeeded", "Build": "Failed", "Deploy": "not run"}
    )
    check = releasewatch.check_release(ws, release)
    assert not check.ok and "'Build': 'Failed'" in check.evidence


# -- the service runs what the release built -------------------------------------------------------

RELEASE = releasewatch.Release(EXECUTION, "Succeeded", VERSION, TAG, {})
IMAGE = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/unit-service:{TAG}"


def _steady(ws: Workshop, image: str) -> Any:
    """A service on one revision running `image`, all its tasks running (the report is stubbed)."""
    _, definition = create_service(ws, image)
    described = ws.client("ecs").describe_task_definition(taskDefinition=definition)
    described.pop("ResponseMetadata")
    steady = reported_service(ws, 2, "COMPLETED", definition)
    ecs = stub(ws, "ecs")
    ecs.add_response("describe_services", steady)
    ecs.add_response("describe_task_definition", described, {"taskDefinition": definition})
    return ecs


def test_service_runs_release_passes_once_rolled_to_the_released_image(ws: Workshop) -> None:
    ecs = _steady(ws, IMAGE)
    check = releasewatch.check_service_runs_release(ws, RELEASE)
    assert check.ok, check
    assert (
        check.evidence
        == f"{ws.names.task_family}:1 runs {IMAGE}; rollout COMPLETED; 2/2 tasks running"
    )
    ecs.assert_no_pending_responses()


def test_service_runs_release_fails_when_the_deploy_left_the_old_image(ws: Workshop) -> None:
    _steady(ws, IMAGE.replace(TAG, "src-0123456789ab"))
    check = releasewatch.check_service_runs_release(ws, RELEASE)
    assert not check.ok and "src-0123456789ab" in check.evidence


def test_service_runs_release_fails_while_the_rollout_is_in_progress(ws: Workshop) -> None:
    create_service(ws, IMAGE)  # moto: the revision is current, but none of its tasks runs yet
    check = releasewatch.check_service_runs_release(ws, RELEASE)
    assert not check.ok and check.evidence.endswith("rollout IN_PROGRESS; 0/2 tasks running")
