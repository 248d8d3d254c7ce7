"""CodeBuild in the local cloud runs the buildspec for real, as AWS does, through boto3 only.

Sources are zips in S3 (what a pipeline hands CodeBuild); artifacts go back to S3; output goes
to CloudWatch Logs; the service's own buildspec builds and pushes its image to the local ECR.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from mysfits import images
from mysfits.buildcontext import CONTEXT_MEDIA_TYPE, context_tarball
from mysfits.workshop import Workshop

from .helpers import unzipped, zipped

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DONE = {"SUCCEEDED", "FAILED", "FAULT", "STOPPED", "TIMED_OUT"}


@pytest.fixture
def bucket(ws: Workshop) -> str:
    name = f"{ws.prefix}-builds-{uuid.uuid4().hex[:6]}"
    ws.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def project(ws: Workshop) -> Iterator[str]:
    name = f"{ws.prefix}-build"
    account = ws.client("sts").get_caller_identity()["Account"]
    ws.client("codebuild").create_project(
        name=name,
        source={"type": "CODEPIPELINE"},
        artifacts={"type": "CODEPIPELINE"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
            "computeType": "BUILD_GENERAL1_SMALL",
            "privilegedMode": True,
            "environmentVariables": [{"name": "GREETING", "value": "hello", "type": "PLAINTEXT"}],
        },
        serviceRole=f"arn:aws:iam::{account}:role/{ws.prefix}-build",
    )
    yield name
    ws.client("codebuild").delete_project(name=name)


def start(
    ws: Workshop,
    project: str,
    bucket: str,
    buildspec: dict[str, Any] | str,
    extra: dict[str, str | bytes] | None = None,
    **overrides: Any,
) -> str:
    text = buildspec if isinstance(buildspec, str) else yaml.safe_dump(buildspec)
    key = f"source-{uuid.uuid4().hex[:6]}.zip"
    ws.client("s3").put_object(
        Bucket=bucket, Key=key, Body=zipped({"buildspec.yml": text, **(extra or {})})
    )
    return ws.client("codebuild").start_build(
        projectName=project,
        sourceTypeOverride="S3",
        sourceLocationOverride=f"{bucket}/{key}",
        artifactsOverride={
            "type": "S3",
            "location": bucket,
            "path": "out",
            "name": "artifact.zip",
            "packaging": "ZIP",
            "namespaceType": "NONE",
        },
        **overrides,
    )["build"]["id"]


def finished(ws: Workshop, build_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        build = ws.client("codebuild").batch_get_builds(ids=[build_id])["builds"][0]
        if build["buildStatus"] in DONE:
            return build
        time.sleep(0.2)
    raise AssertionError(
        f"build {build_id} still running after {timeout} s: {build['currentPhase']}"
    )


def phases(build: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(p["phaseType"], p.get("phaseStatus")) for p in build["phases"]]


def log_lines(ws: Workshop, build: dict[str, Any]) -> list[str]:
    events = ws.client("logs").get_log_events(
        logGroupName=build["logs"]["groupName"], logStreamName=build["logs"]["streamName"]
    )["events"]
    return [e["message"] for e in events]


def test_phases_share_one_shell_and_artifacts_reach_s3(
    ws: Workshop, project: str, bucket: str
) -> None:
    spec = {
        "version": 0.2,
        "env": {"variables": {"FROM_SPEC": "spec"}},
        "phases": {
            "install": {"commands": ["echo installing"]},
            "pre_build": {"commands": ["WORD=persisted", "mkdir -p out"]},
            "build": {
                "commands": [
                    'echo "$WORD $GREETING $FROM_SPEC $CODEBUILD_BUILD_NUMBER" > out/result.txt',
                    "echo built",
                ]
            },
            "post_build": {
                "commands": ['echo "succeeding=$CODEBUILD_BUILD_SUCCEEDING" >> out/result.txt']
            },
        },
        "artifacts": {"files": ["out/**/*"]},
    }
    first = finished(ws, start(ws, project, bucket, spec))
    assert first["buildStatus"] == "SUCCEEDED", phases(first)
    assert phases(first) == [
        ("SUBMITTED", "SUCCEEDED"),
        ("QUEUED", "SUCCEEDED"),
        ("PROVISIONING", "SUCCEEDED"),
        ("DOWNLOAD_SOURCE", "SUCCEEDED"),
        ("INSTALL", "SUCCEEDED"),
        ("PRE_BUILD", "SUCCEEDED"),
        ("BUILD", "SUCCEEDED"),
        ("POST_BUILD", "SUCCEEDED"),
        ("UPLOAD_ARTIFACTS", "SUCCEEDED"),
        ("FINALIZING", "SUCCEEDED"),
        ("COMPLETED", None),
    ]
    artifact = unzipped(
        ws.client("s3").get_object(Bucket=bucket, Key="out/artifact.zip")["Body"].read()
    )
    assert artifact == {"out/result.txt": b"persisted hello spec 1\nsucceeding=1\n"}
    lines = log_lines(ws, first)
    assert "built" in lines and any(line.endswith("Running command echo built") for line in lines)
    assert any("Phase complete: BUILD State: SUCCEEDED" in line for line in lines)
    second = finished(ws, start(ws, project, bucket, spec))
    assert second["buildNumber"] == 2 and second["id"] != first["id"]


def test_a_failed_build_phase_still_runs_post_build_and_uploads(
    ws: Workshop, project: str, bucket: str
) -> None:
    spec = {
        "version": 0.2,
        "phases": {
            "build": {"commands": ["false", "echo never > never.txt"]},
            "post_build": {
                "commands": ['echo "succeeding=$CODEBUILD_BUILD_SUCCEEDING" > report.txt']
            },
        },
        "artifacts": {"files": ["*.txt"]},
    }
    build = finished(ws, start(ws, project, bucket, spec))
    assert build["buildStatus"] == "FAILED"
    failed = next(p for p in build["phases"] if p["phaseType"] == "BUILD")
    assert failed["phaseStatus"] == "FAILED"
    assert failed["contexts"] == [
        {
            "statusCode": "COMMAND_EXECUTION_ERROR",
            "message": "Error while executing command: false. Reason: exit status 1",
        }
    ]
    assert ("POST_BUILD", "SUCCEEDED") in phases(build) and (
        "UPLOAD_ARTIFACTS",
        "SUCCEEDED",
    ) in phases(build)
    artifact = unzipped(
        ws.client("s3").get_object(Bucket=bucket, Key="out/artifact.zip")["Body"].read()
    )
    assert artifact == {"report.txt": b"succeeding=0\n"}


def test_a_failed_pre_build_skips_to_finalizing(ws: Workshop, project: str, bucket: str) -> None:
    spec = {
        "version": 0.2,
        "phases": {"pre_build": {"commands": ["exit 3"]}, "build": {"commands": ["echo no"]}},
    }
    build = finished(ws, start(ws, project, bucket, spec))
    assert build["buildStatus"] == "FAILED"
    assert [p for p, _ in phases(build)][-4:] == ["INSTALL", "PRE_BUILD", "FINALIZING", "COMPLETED"]


def test_bad_buildspec_and_missing_source_fail_in_download_source(
    ws: Workshop, project: str, bucket: str
) -> None:
    bad = finished(ws, start(ws, project, bucket, "version: 0.1\nphases: {}\n"))
    download = next(p for p in bad["phases"] if p["phaseType"] == "DOWNLOAD_SOURCE")
    assert (
        bad["buildStatus"] == "FAILED"
        and download["contexts"][0]["statusCode"] == "YAML_FILE_ERROR"
    )
    missing = ws.client("codebuild").start_build(
        projectName=project,
        sourceTypeOverride="S3",
        sourceLocationOverride=f"{bucket}/nothing-here.zip",
    )["build"]["id"]
    gone = finished(ws, missing)
    assert gone["buildStatus"] == "FAILED"
    assert (
        next(p for p in gone["phases"] if p["phaseType"] == "DOWNLOAD_SOURCE")["contexts"][0][
            "statusCode"
        ]
        == "CLIENT_ERROR"
    )


def test_stop_build_ends_a_running_command(ws: Workshop, project: str, bucket: str) -> None:
    build_id = start(
        ws, project, bucket, {"version": 0.2, "phases": {"build": {"commands": ["sleep 60"]}}}
    )
    deadline = time.monotonic() + 20
    while (
        ws.client("codebuild").batch_get_builds(ids=[build_id])["builds"][0]["currentPhase"]
        != "BUILD"
    ):
        assert time.monotonic() < deadline, "the build never reached BUILD"
        time.sleep(0.1)
    ws.client("codebuild").stop_build(id=build_id)
    assert finished(ws, build_id, timeout=15)["buildStatus"] == "STOPPED"


def test_unknown_project_and_unknown_build(ws: Workshop) -> None:
    with pytest.raises(ClientError) as raised:
        ws.client("codebuild").start_build(projectName=f"{ws.prefix}-nope")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    answer = ws.client("codebuild").batch_get_builds(ids=[f"{ws.prefix}-nope:1234"])
    assert answer["builds"] == [] and answer["buildsNotFound"] == [f"{ws.prefix}-nope:1234"]


def test_docker_push_needs_a_login(ws: Workshop, project: str, bucket: str) -> None:
    repository = images.ensure_repository(ws)
    spec = {
        "version": 0.2,
        "phases": {
            "build": {
                "commands": [
                    f"docker build -f service/Dockerfile -t {repository.uri}:x .",
                    f"docker push {repository.uri}:x",
                ]
            }
        },
    }
    build = finished(ws, start(ws, project, bucket, spec, extra=_service_sources()))
    assert build["buildStatus"] == "FAILED"
    assert "no basic auth credentials" in log_lines(ws, build)
    ws.client("ecr").delete_repository(repositoryName=repository.name, force=True)


def _service_sources() -> dict[str, str | bytes]:
    files = {
        p.relative_to(ROOT).as_posix(): p.read_bytes()
        for p in (ROOT / "service").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    files["data/mysfits.json"] = (ROOT / "data" / "mysfits.json").read_bytes()
    return files


def test_the_service_buildspec_pushes_a_runnable_image(
    ws: Workshop, project: str, bucket: str
) -> None:
    repository = images.ensure_repository(ws)
    account = ws.client("sts").get_caller_identity()["Account"]
    build = finished(
        ws,
        start(
            ws,
            project,
            bucket,
            (ROOT / "service" / "buildspec.yml").read_text(),
            extra=_service_sources(),
            environmentVariablesOverride=[
                {"name": "REPOSITORY_URI", "value": repository.uri, "type": "PLAINTEXT"},
                {"name": "AWS_ACCOUNT_ID", "value": account, "type": "PLAINTEXT"},
            ],
        ),
        timeout=120,
    )
    assert build["buildStatus"] == "SUCCEEDED", log_lines(ws, build)[-20:]
    definitions = json.loads(
        unzipped(ws.client("s3").get_object(Bucket=bucket, Key="out/artifact.zip")["Body"].read())[
            "imagedefinitions.json"
        ]
    )
    # started without a pipeline, the build has no resolved source version: the buildspec falls back
    assert definitions == [{"name": "MysfitsService", "imageUri": f"{repository.uri}:latest"}]
    tags = {
        t
        for d in ws.client("ecr").describe_images(repositoryName=repository.name)["imageDetails"]
        for t in d.get("imageTags", [])
    }
    assert "latest" in tags
    manifest = json.loads(
        ws.client("ecr").batch_get_image(
            repositoryName=repository.name, imageIds=[{"imageTag": "latest"}]
        )["images"][0]["imageManifest"]
    )
    assert manifest["layers"][0]["mediaType"] == CONTEXT_MEDIA_TYPE
    # the same sources give the same build context the notebook's no-Docker path pushes
    assert (
        manifest["layers"][0]["digest"]
        == "sha256:" + hashlib.sha256(context_tarball(ROOT)).hexdigest()
    )
    ws.client("ecr").delete_repository(repositoryName=repository.name, force=True)
