"""One source of truth for the running image: 01,02,03,01,02,03 through the real CLI.

Notebook 02 ships a change (the X-Mysfits-Release header) through the pipeline and notebook 03
releases its table setting through it. Running the series again must leave the site as the first
03 left it, one task-definition revision per distinct image, and no rollback, both when the
pipeline's build has the digest the learner's build of the same source would have and when it
has another (the local cloud stamps builds like Docker with MYSFITS_LOCAL_BUILD_TIMESTAMPS=1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import mysfits
from mysfits import releases, serviceapi
from mysfits.buildcontext import DEFAULT_DOCKERFILE, in_context, parse_dockerfile, tarball
from mysfits.ocipush import push_build_context
from mysfits.workshop import Workshop

from .conftest import mysfits_cli, running_cloud

pytestmark = pytest.mark.integration

PREFIX = "mysfits"  # the notebooks' default


@pytest.fixture(scope="module", params=["equal digests", "different digests"])
def cloud(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    stamped = request.param == "different digests"
    env = {"MYSFITS_LOCAL_BUILD_TIMESTAMPS": "1"} if stamped else {}
    with running_cloud(tmp_path_factory.mktemp("release-home"), env) as started:
        yield {**started, "stamped": stamped}


def run(cloud: dict[str, Any], only: str) -> None:
    home = Path(str(cloud["home"]))
    result = mysfits_cli(
        home, "run", "--only", only, "--keep", "--output-dir", str(home / "runs"), timeout=900
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def learner_digest(ws: Workshop, settings: dict[str, str]) -> str:
    """The digest the registry gives the notebook's own (no-Docker) build of this release's source,
    pushed to a scratch repository."""
    files = in_context(releases.source_files(settings))
    recipe = parse_dockerfile(files[DEFAULT_DOCKERFILE].decode())
    ecr, scratch = ws.client("ecr"), "digest-probe/service"
    ecr.create_repository(repositoryName=scratch)
    try:
        push_build_context(ecr, scratch, tarball(files), recipe, ["probe"])
        details = ecr.describe_images(repositoryName=scratch, imageIds=[{"imageTag": "probe"}])
        return str(details["imageDetails"][0]["imageDigest"])
    finally:
        ecr.delete_repository(repositoryName=scratch, force=True)


def state(ws: Workshop) -> dict[str, Any]:
    """What runs and what is recorded: the service's revision, every revision's image, the site."""
    ecs = ws.client("ecs")
    service = ecs.describe_services(cluster=ws.names.cluster, services=[ws.names.service])[
        "services"
    ][0]
    arns = ecs.list_task_definitions(familyPrefix=ws.names.task_family, status="ACTIVE")[
        "taskDefinitionArns"
    ]
    images = [
        ecs.describe_task_definition(taskDefinition=a)["taskDefinition"]["containerDefinitions"][0][
            "image"
        ]
        for a in arns
    ]
    site = ws.client("s3").get_object(Bucket=ws.names.site_bucket, Key="config.json")["Body"].read()
    executions = ws.client("codepipeline").list_pipeline_executions(pipelineName=ws.names.pipeline)
    return {
        "running": service["taskDefinition"],
        "images": images,
        "site": json.loads(site),
        "executions": len(executions["pipelineExecutionSummaries"]),
        "settings": releases.released_settings(ws),
    }


def released_digest(ws: Workshop, uri: str) -> str:
    details = ws.client("ecr").describe_images(
        repositoryName=ws.names.ecr_repository, imageIds=[{"imageTag": uri.rpartition(":")[2]}]
    )
    return str(details["imageDetails"][0]["imageDigest"])


def test_series_twice_keeps_the_release(cloud: dict[str, Any]) -> None:
    ws = mysfits.connect("local", prefix=PREFIX, endpoint_url=str(cloud["endpoint_url"]))
    run(cloud, "01,02,03")
    first = state(ws)
    assert first["settings"] == {"MYSFITS_RELEASE": "v2", "MYSFITS_TABLE": ws.names.table}
    # the learner's build, module 2's release, module 3's release: one revision each
    assert len(first["images"]) == len(set(first["images"])) == 3, first
    assert first["running"].endswith(":3")
    running_image = first["images"][-1]
    digest = released_digest(ws, running_image)
    assert (digest != learner_digest(ws, first["settings"])) is cloud["stamped"]

    run(cloud, "01,02,03")
    again = state(ws)
    assert again == first  # same revision running, no new revision, site as the first 03 left it
    assert released_digest(ws, running_image) == digest  # the learner's rebuild moved no tag
    api = str(again["site"]["apiEndpoint"])  # where the site (version 2) sends its requests
    header, listed = serviceapi.check_release_header(api, "v2"), serviceapi.check_list(api, 12)
    assert header.ok and listed.ok, (header, listed)
