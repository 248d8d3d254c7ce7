"""Module 2's CI/CD through the library, as notebook 02 drives it, on the local cloud.

The real service is deployed once; the pipeline then builds it with the service's own buildspec
in the local CodeBuild and rolls the ECS service through the ECS deploy action. Every push of a
changed source releases again; an unchanged push does nothing; a broken build deploys nothing;
notebook 02's own steps, run again after a release, keep what the pipeline deployed.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import mysfits
from mysfits import cleanup, images, network, pipeline, releases, serviceapi, servicestack
from mysfits.loadbalancer import LoadBalancer
from mysfits.releasewatch import check_release, check_service_runs_release, wait_for_release
from mysfits.workshop import Workshop

# One scenario, as notebook 02 runs it: the first release, then steps run again, then more pushes.
pytestmark = [pytest.mark.integration, pytest.mark.in_order]


@dataclass
class Deployed:
    ws: Workshop
    balancer: LoadBalancer
    roles: pipeline.Roles
    repository: images.Repository


@pytest.fixture(scope="module")
def deployed(local_cloud: dict[str, object]) -> Iterator[Deployed]:
    """The service as notebook 02 leaves it before the pipeline part; deleted afterwards."""
    ws = mysfits.connect(
        "local", prefix=f"t{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    try:
        stack = servicestack.ensure_service_stack(ws, timeout=60)
        pipeline.ensure_buckets(ws)
        roles = pipeline.ensure_roles(ws, stack.repository, stack.core)
        pipeline.ensure_build_project(ws, stack.repository, roles)
        yield Deployed(ws, stack.balancer, roles, stack.repository)
    finally:
        cleanup.delete_everything(ws)
        assert cleanup.check_nothing_left(ws).ok, cleanup.inventory(ws)


def executions(ws: Workshop) -> list[dict[str, Any]]:
    return ws.client("codepipeline").list_pipeline_executions(pipelineName=ws.names.pipeline)[
        "pipelineExecutionSummaries"
    ]


def revisions(ws: Workshop) -> list[str]:
    return ws.client("ecs").list_task_definitions(
        familyPrefix=ws.names.task_family, status="ACTIVE"
    )["taskDefinitionArns"]


def test_first_push_is_released_by_the_pipeline(deployed: Deployed) -> None:
    ws = deployed.ws
    assert (
        serviceapi.release_of(deployed.balancer.url) is None
    )  # the learner's build names no release
    lines: list[str] = []
    push = releases.push_release(ws, MYSFITS_RELEASE="v2")
    assert push.changed and push.image_tag != images.source_tag()
    pipeline.ensure_pipeline(ws, deployed.roles)
    release = wait_for_release(ws, push, timeout=180, write=lines.append)
    assert check_release(ws, release).ok, release
    assert release.stages == {"Source": "Succeeded", "Build": "Succeeded", "Deploy": "Succeeded"}
    assert check_service_runs_release(ws, release).ok, check_service_runs_release(ws, release)
    assert serviceapi.check_list(deployed.balancer.url, expect_count=12).ok
    assert serviceapi.check_release_header(deployed.balancer.url, "v2").ok
    assert any("Successfully built" in line for line in lines), lines  # the build log, streamed
    assert "stage Deploy: Succeeded" in lines


def test_running_the_steps_again_changes_nothing(deployed: Deployed) -> None:
    ws = deployed.ws
    before_executions, before_revisions = len(executions(ws)), revisions(ws)
    pipeline.ensure_buckets(ws)
    roles = pipeline.ensure_roles(ws, deployed.repository, network.core_network(ws))
    pipeline.ensure_build_project(ws, deployed.repository, roles)
    pipeline.ensure_pipeline(ws, roles)
    push = releases.push_release(ws, MYSFITS_RELEASE="v2")
    assert not push.changed
    # notebook 02's own image step, run again, keeps the revision the pipeline deployed
    image = images.publish_image(ws, deployed.repository)
    chosen = releases.task_definition_to_run(ws, network.core_network(ws), image)
    assert chosen == before_revisions[-1]
    time.sleep(2)  # several polling rounds of the local pipeline
    assert len(executions(ws)) == before_executions and revisions(ws) == before_revisions


def test_every_changed_push_releases_again(deployed: Deployed) -> None:
    ws = deployed.ws
    before = revisions(ws)
    push = releases.push_release(ws, MYSFITS_RELEASE="v3")
    assert push.changed and push.settings == {"MYSFITS_RELEASE": "v3"}
    release = wait_for_release(ws, push, timeout=180)
    assert check_release(ws, release).ok, release
    assert check_service_runs_release(ws, release).ok
    assert len(revisions(ws)) == len(before) + 1
    assert serviceapi.check_list(deployed.balancer.url, expect_count=12).ok
    assert serviceapi.check_release_header(deployed.balancer.url, "v3").ok


def test_a_broken_build_deploys_nothing(deployed: Deployed) -> None:
    ws = deployed.ws
    before = revisions(ws)
    broken = releases.source_archive(
        {"MYSFITS_RELEASE": "broken"},
        {
            "service/buildspec.yml": "version: 0.2\nphases:\n  build:\n"
            "    commands:\n      - exit 1\n"
        },
    )
    release = wait_for_release(ws, releases.push_source(ws, broken), timeout=180)
    check = check_release(ws, release)
    assert not check.ok and release.stages["Build"] == "Failed", release
    assert revisions(ws) == before
    assert not check_service_runs_release(ws, release).ok
    assert serviceapi.check_list(deployed.balancer.url, expect_count=12).ok
    assert serviceapi.check_release_header(deployed.balancer.url, "v3").ok
