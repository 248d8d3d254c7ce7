"""Module 2's CI/CD through the library, as notebook 02 drives it, on the local cloud.

The real service is deployed once and its pipeline made, which releases the first push: the
pipeline builds it with the service's own buildspec in the local CodeBuild and rolls the ECS
service through the ECS deploy action. Every push of a changed source releases again; an
unchanged push does nothing; a broken build deploys nothing. The fixture records what the first
release did, so each test runs alone or in any order.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import pytest

import mysfits
from mysfits import cleanup, fargate, images, network, pipeline, serviceapi, servicestack
from mysfits.checks import Check
from mysfits.loadbalancer import LoadBalancer
from mysfits.local.codepipeline.runner import POLL_SECONDS
from mysfits.workshop import Workshop

pytestmark = pytest.mark.integration


RELEASE_TIMEOUT = 180


@dataclass
class Deployed:
    ws: Workshop
    balancer: LoadBalancer
    roles: pipeline.Roles
    repository: images.Repository
    first_push: pipeline.Push
    first_release: pipeline.Release
    first_runs: Check  # whether the service ran the first release, as it finished


@pytest.fixture(scope="module")
def deployed(local_cloud: dict[str, object]) -> Iterator[Deployed]:
    """Service and pipeline as notebook 02 makes them, first push released; all deleted after."""
    url = str(local_cloud["endpoint_url"])
    ws = mysfits.connect("local", prefix=f"t{uuid.uuid4().hex[:8]}", endpoint_url=url)
    try:
        stack = servicestack.ensure_service_stack(ws, timeout=60)
        pipeline.ensure_buckets(ws)
        roles = pipeline.ensure_roles(ws, stack.repository, stack.core)
        pipeline.ensure_build_project(ws, stack.repository, roles)
        push = pipeline.push_source(ws)
        pipeline.ensure_pipeline(ws, roles)
        release = pipeline.wait_for_release(ws, push, timeout=RELEASE_TIMEOUT)
        runs = pipeline.check_service_runs_release(ws, release)
        yield Deployed(ws, stack.balancer, roles, stack.repository, push, release, runs)
    finally:
        cleanup.delete_everything(ws)
        assert cleanup.check_nothing_left(ws).ok, cleanup.inventory(ws)


def executions(ws: Workshop) -> list[dict[str, Any]]:
    return ws.client("codepipeline").list_pipeline_executions(pipelineName=ws.names.pipeline)["pipelineExecutionSummaries"]


def revisions(ws: Workshop) -> list[str]:
    return ws.client("ecs").list_task_definitions(familyPrefix=ws.names.task_family, status="ACTIVE")["taskDefinitionArns"]


def test_first_push_is_released_by_the_pipeline(deployed: Deployed) -> None:
    ws, release = deployed.ws, deployed.first_release
    assert deployed.first_push.changed
    assert pipeline.check_release(ws, release).ok, release
    assert release.stages == {"Source": "Succeeded", "Build": "Succeeded", "Deploy": "Succeeded"}
    assert deployed.first_runs.ok, deployed.first_runs
    assert serviceapi.check_list(deployed.balancer.url, expect_count=12).ok
    build_log = ws.client("logs").filter_log_events(logGroupName=f"/aws/codebuild/{ws.names.build_project}")["events"]
    assert any("Successfully built" in e["message"] for e in build_log)


def test_running_the_steps_again_changes_nothing(deployed: Deployed) -> None:
    ws = deployed.ws
    restored = pipeline.push_source(ws)  # the notebook's source, if another test pushed since
    if restored.changed:
        release = pipeline.wait_for_release(ws, restored, RELEASE_TIMEOUT)
        assert pipeline.check_release(ws, release).ok, release
    before_executions, before_revisions = len(executions(ws)), revisions(ws)
    pipeline.ensure_buckets(ws)
    roles = pipeline.ensure_roles(ws, deployed.repository, network.core_network(ws))
    pipeline.ensure_build_project(ws, deployed.repository, roles)
    pipeline.ensure_pipeline(ws, roles)
    push = pipeline.push_source(ws)
    assert not push.changed
    # notebook 02's own image step, run again, keeps the revision the pipeline deployed (same content)
    image = images.publish_image(ws, deployed.repository)
    assert fargate.ensure_task_definition(ws, network.core_network(ws), image) == before_revisions[-1]
    time.sleep(3 * POLL_SECONDS)  # several polling rounds of the local pipeline: nothing starts
    assert len(executions(ws)) == before_executions and revisions(ws) == before_revisions


def test_every_changed_push_releases_again(deployed: Deployed) -> None:
    ws = deployed.ws
    before = revisions(ws)
    change = {"service/RELEASE-NOTES.txt": f"a change {uuid.uuid4().hex}\n"}  # new in every run
    push = pipeline.push_source(ws, pipeline.source_archive(change))
    assert push.changed
    release = pipeline.wait_for_release(ws, push, timeout=RELEASE_TIMEOUT)
    assert pipeline.check_release(ws, release).ok, release
    assert pipeline.check_service_runs_release(ws, release).ok
    assert len(revisions(ws)) == len(before) + 1
    assert serviceapi.check_list(deployed.balancer.url, expect_count=12).ok


def test_a_broken_build_deploys_nothing(deployed: Deployed) -> None:
    ws = deployed.ws
    before = revisions(ws)
    broken = pipeline.source_archive({"service/buildspec.yml": "version: 0.2\nphases:\n  build:\n    commands:\n      - exit 1\n"})
    release = pipeline.wait_for_release(ws, pipeline.push_source(ws, broken), RELEASE_TIMEOUT)
    check = pipeline.check_release(ws, release)
    assert not check.ok and release.stages["Build"] == "Failed", release
    assert revisions(ws) == before
    assert not pipeline.check_service_runs_release(ws, release).ok
    assert serviceapi.check_list(deployed.balancer.url, expect_count=12).ok
