"""CodePipeline executions on the local cloud: S3 source, CodeBuild build and ECS deploy actions.

The real Mysfits service is deployed once for the module through the library (core stack,
build-context image, cluster, log group, NLB, task definition, service). Pipelines of our own
then release to it: creating a pipeline runs it, a new source version runs it again, a build
stage produces the image definitions, and bad inputs fail the action that meets them. A slow
build shows SUPERSEDED mode and both kinds of StopPipelineExecution.

The Source → Deploy pipeline is created by a fixture, which records what its first run did, so
each test runs alone or in any order.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

import mysfits
from mysfits import cleanup, ocipush, servicestack
from mysfits.fargate import CONTAINER_NAME
from mysfits.images import Image
from mysfits.workshop import Workshop

from .helpers import poll, unzipped, zipped

pytestmark = pytest.mark.integration


UNKNOWN_EXECUTION = "00000000-0000-0000-0000-000000000000"
FINISHED = {"Cancelled", "Stopped", "Succeeded", "Superseded", "Failed"}
DEPLOY_TIMEOUT = 90  # a rollout behind the NLB needs two health checks (5 s apart) and a drain
SOURCE = {"category": "Source", "owner": "AWS", "provider": "S3", "version": "1"}
BUILD = {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"}
DEPLOY = {"category": "Deploy", "owner": "AWS", "provider": "ECS", "version": "1"}
ECHO_BUILDSPEC = """version: 0.2
phases:
  build:
    commands:
      - printf '[{"name":"%s","imageUri":"%s"}]' "$CONTAINER" "$IMAGE_URI" > imagedefinitions.json
      - printf '%s' "$CODEBUILD_RESOLVED_SOURCE_VERSION" > revision.txt
artifacts:
  files:
    - imagedefinitions.json
    - revision.txt
"""
# Waits SLEEP_SECONDS, or less once the file named by GATE exists (the local cloud runs builds
# on this machine), so a test decides when a build it inspects mid-way finishes.
GATED_BUILDSPEC = """version: 0.2
phases:
  build:
    commands:
      - end=$(( $(date +%s) + SLEEP_SECONDS ))
      - until [ -e "$GATE" ] || [ "$(date +%s)" -ge "$end" ]; do sleep 0.2; done
"""


@dataclass
class Setup:
    """The deployed service, and the buckets, role and pipelines the tests share."""

    ws: Workshop
    image: Image
    tagged_uri: str  # the same image under a tag of our own, so a deploy visibly changes the URI
    source_bucket: str
    artifact_bucket: str
    unversioned_bucket: str
    role_arn: str
    pipelines: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)

    @property
    def cp(self) -> Any:
        return self.ws.client("codepipeline")

    @property
    def ecs(self) -> Any:
        return self.ws.client("ecs")

    @property
    def s3(self) -> Any:
        return self.ws.client("s3")


@pytest.fixture(scope="module")
def setup(local_cloud: dict[str, object]) -> Iterator[Setup]:
    """Deploy the service as notebook 02 does; make buckets and a role; delete all afterwards."""
    ws = mysfits.connect(
        "local", prefix=f"t{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    prefix = ws.prefix
    made = Setup(
        ws,
        None,
        "",
        f"{prefix}-cp-source",
        f"{prefix}-cp-artifacts",  # type: ignore[arg-type]
        f"{prefix}-cp-unversioned",
        "",
    )
    try:
        made.image = servicestack.ensure_service_stack(ws, desired_count=1, timeout=60).image
        made.tagged_uri = _retag(ws, made.image, "pipeline-test")
        for bucket in (made.source_bucket, made.artifact_bucket, made.unversioned_bucket):
            made.s3.create_bucket(Bucket=bucket)
        made.s3.put_bucket_versioning(
            Bucket=made.source_bucket, VersioningConfiguration={"Status": "Enabled"}
        )
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": principal}}
                for principal in ("codepipeline.amazonaws.com", "codebuild.amazonaws.com")
            ],
        }
        made.role_arn = ws.client("iam").create_role(
            RoleName=f"{prefix}-cp-test", AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]["Arn"]
        yield made
    finally:
        _delete_own(made)
        cleanup.delete_everything(ws)


def _retag(ws: Workshop, image: Image, tag: str) -> str:
    """Put the image's manifest under another tag; the URI of that tag."""
    ecr = ws.client("ecr")
    found = ecr.batch_get_image(
        repositoryName=image.repository, imageIds=[{"imageTag": image.tag}]
    )["images"][0]
    ecr.put_image(
        repositoryName=image.repository,
        imageManifest=found["imageManifest"],
        imageTag=tag,
        imageManifestMediaType=found.get("imageManifestMediaType", ocipush.OCI_MANIFEST),
    )
    return f"{image.uri.rpartition(':')[0]}:{tag}"


def _delete_own(made: Setup) -> None:
    """Delete the pipelines, projects, buckets and role this module made.

    The library's cleanup knows only its own.
    """
    for name in made.pipelines:
        made.cp.delete_pipeline(name=name)
    for project in made.projects:
        made.ws.client("codebuild").delete_project(name=project)
    for bucket in (made.source_bucket, made.artifact_bucket, made.unversioned_bucket):
        try:
            versions = made.s3.list_object_versions(Bucket=bucket)
        except ClientError:
            continue
        for version in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
            made.s3.delete_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
        made.s3.delete_bucket(Bucket=bucket)
    if made.role_arn:
        made.ws.client("iam").delete_role(RoleName=made.role_arn.rsplit("/", 1)[-1])


# -- helpers ---------------------------------------------------------------------------------


def build_project(setup: Setup, suffix: str) -> str:
    """A CodeBuild project for a pipeline's Build stage (deleted with the module's resources)."""
    project = f"{setup.ws.prefix}-cp-{suffix}"
    setup.ws.client("codebuild").create_project(
        name=project,
        source={"type": "CODEPIPELINE"},
        artifacts={"type": "CODEPIPELINE"},
        environment={
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/amazonlinux-x86_64-standard:5.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        serviceRole=setup.role_arn,
    )
    setup.projects.append(project)
    return project


def image_definitions(uri: str) -> dict[str, str]:
    return {"imagedefinitions.json": json.dumps([{"name": CONTAINER_NAME, "imageUri": uri}])}


def upload(made: Setup, key: str, files: dict[str, str], bucket: str | None = None) -> str:
    """Put a zip of `files` at `key`; its version id."""
    answer = made.s3.put_object(Bucket=bucket or made.source_bucket, Key=key, Body=zipped(files))
    return str(answer.get("VersionId"))


def action(
    name: str,
    kind: dict[str, str],
    configuration: dict[str, str],
    inputs: list[str] = (),  # type: ignore[assignment]
    outputs: list[str] = (),
) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "name": name,
        "actionTypeId": kind,
        "configuration": configuration,
        "runOrder": 1,
        "inputArtifacts": [{"name": n} for n in inputs],
        "outputArtifacts": [{"name": n} for n in outputs],
    }


def source_action(bucket: str, key: str, **extra: str) -> dict[str, Any]:
    return action(
        "Source",
        SOURCE,
        {"S3Bucket": bucket, "S3ObjectKey": key, **extra},
        outputs=["SourceArtifact"],
    )


def deploy_action(made: Setup, artifact: str) -> dict[str, Any]:
    return action(
        "Deploy",
        DEPLOY,
        {"ClusterName": made.ws.names.cluster, "ServiceName": made.ws.names.service},
        inputs=[artifact],
    )


def create_pipeline(
    made: Setup,
    suffix: str,
    stages: list[tuple[str, dict[str, Any]]],
    variables: list[dict[str, str]] | None = None,
) -> str:
    """Create a pipeline (one action per stage); its name. Deleted by the fixture."""
    name = f"{made.ws.prefix}-{suffix}"
    declaration: dict[str, Any] = {
        "name": name,
        "roleArn": made.role_arn,
        "pipelineType": "V2",
        "executionMode": "SUPERSEDED",
        "artifactStore": {"type": "S3", "location": made.artifact_bucket},
        "stages": [{"name": stage, "actions": [act]} for stage, act in stages],
    }
    if variables:
        declaration["variables"] = variables
    made.cp.create_pipeline(pipeline=declaration)
    made.pipelines.append(name)
    return name


def summaries(made: Setup, name: str) -> list[dict[str, Any]]:
    return list(made.cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"])


def execution(made: Setup, name: str, execution_id: str) -> dict[str, Any]:
    return dict(
        made.cp.get_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id)[
            "pipelineExecution"
        ]
    )


def wait_finished(
    made: Setup, name: str, execution_id: str, timeout: float = DEPLOY_TIMEOUT
) -> dict[str, Any]:
    def finished() -> dict[str, Any] | None:
        found = execution(made, name, execution_id)
        return found if found["status"] in FINISHED else None

    return poll(finished, timeout, f"execution {execution_id} of {name} to finish", interval=0.5)


def wait_new_execution(
    made: Setup, name: str, known: set[str], timeout: float = 30
) -> dict[str, Any]:
    def new() -> dict[str, Any] | None:
        fresh = [s for s in summaries(made, name) if s["pipelineExecutionId"] not in known]
        return fresh[0] if fresh else None

    return poll(new, timeout, f"a new execution of {name}", interval=0.5)


def stages(made: Setup, name: str) -> dict[str, dict[str, Any]]:
    return {s["stageName"]: s for s in made.cp.get_pipeline_state(name=name)["stageStates"]}


def service(made: Setup) -> dict[str, Any]:
    return dict(
        made.ecs.describe_services(cluster=made.ws.names.cluster, services=[made.ws.names.service])[
            "services"
        ][0]
    )


@dataclass(frozen=True)
class ServiceView:
    """The ECS service as it was at one moment: its description, task definition and tasks."""

    service: dict[str, Any]
    definition: dict[str, Any]
    tasks: list[dict[str, Any]]


def service_view(made: Setup) -> ServiceView:
    current = service(made)
    ecs, cluster = made.ecs, made.ws.names.cluster
    arn = current["taskDefinition"]
    definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    arns = ecs.list_tasks(cluster=cluster, serviceName=made.ws.names.service)["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
    return ServiceView(current, definition, tasks)


def assert_runs(view: ServiceView, definition_arn: str, image_uri: str) -> None:
    """The service was steady on `definition_arn`, whose container runs `image_uri`."""
    assert view.service["taskDefinition"] == definition_arn
    deployments = [(d["status"], d["rolloutState"]) for d in view.service["deployments"]]
    assert deployments == [("PRIMARY", "COMPLETED")]
    assert [c["image"] for c in view.definition["containerDefinitions"]] == [image_uri]
    assert view.tasks
    assert all(
        t["lastStatus"] == "RUNNING" and t["taskDefinitionArn"] == definition_arn
        for t in view.tasks
    )


def revision_number(arn: str) -> int:
    return int(arn.rsplit(":", 1)[-1])


# -- Source → Deploy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FirstRun:
    """The Source → Deploy pipeline, and what its creation's run did, recorded as it finished."""

    name: str
    version: str  # of the source object that run deployed
    before: ServiceView  # the service before the pipeline existed
    after: ServiceView
    first: dict[str, Any]  # the run's execution summary
    done: dict[str, Any]  # the run, finished
    state: dict[str, dict[str, Any]]  # the pipeline's stages
    etag: str  # of the source object
    stored: list[str]  # the artifact store's keys


@pytest.fixture(scope="module")
def deploy_pipeline(setup: Setup) -> FirstRun:
    """Create the Source → Deploy pipeline (which runs it) and wait for that run to finish."""
    before = service_view(setup)
    version = upload(setup, "deploy/source.zip", image_definitions(setup.tagged_uri))
    name = create_pipeline(
        setup,
        "source-to-ecs-deploy",
        [
            ("Source", source_action(setup.source_bucket, "deploy/source.zip")),
            ("Deploy", deploy_action(setup, "SourceArtifact")),
        ],
    )
    [first] = summaries(setup, name)
    done = wait_finished(setup, name, first["pipelineExecutionId"])
    head = setup.s3.head_object(Bucket=setup.source_bucket, Key="deploy/source.zip")
    stored = [o["Key"] for o in setup.s3.list_objects_v2(Bucket=setup.artifact_bucket)["Contents"]]
    return FirstRun(
        name,
        version,
        before,
        service_view(setup),
        first,
        done,
        stages(setup, name),
        head["ETag"].strip('"'),
        stored,
    )


def test_creating_a_pipeline_runs_it_and_deploys_the_image_definitions(
    deploy_pipeline: FirstRun, setup: Setup
) -> None:
    run, first = deploy_pipeline, deploy_pipeline.first
    assert first["trigger"]["triggerType"] == "CreatePipeline"
    assert run.done["status"] == "Succeeded", run.state
    revisions = [(r["name"], r["revisionId"]) for r in run.done["artifactRevisions"]]
    assert revisions == [("SourceArtifact", run.version)]

    for stage in ("Source", "Deploy"):
        assert run.state[stage]["latestExecution"] == {
            "pipelineExecutionId": first["pipelineExecutionId"],
            "status": "Succeeded",
            "type": "STANDARD",
        }
        assert run.state[stage]["actionStates"][0]["latestExecution"]["status"] == "Succeeded"
    assert run.state["Source"]["actionStates"][0]["currentRevision"]["revisionId"] == run.version
    assert run.state["Source"]["actionStates"][0]["currentRevision"]["revisionChangeId"] == run.etag

    pattern = rf"{re.escape(run.name[:20])}/SourceArti/[A-Za-z0-9]{{7}}"
    assert any(re.fullmatch(pattern, key) for key in run.stored), run.stored

    after = run.after.service["taskDefinition"]
    assert revision_number(after) == revision_number(run.before.service["taskDefinition"]) + 1
    assert_runs(run.after, after, setup.tagged_uri)


def test_a_new_source_version_starts_an_execution(deploy_pipeline: FirstRun, setup: Setup) -> None:
    name = deploy_pipeline.name
    earlier = summaries(setup, name)
    before = service(setup)["taskDefinition"]
    version = upload(setup, "deploy/source.zip", image_definitions(setup.image.uri))

    new = wait_new_execution(setup, name, {s["pipelineExecutionId"] for s in earlier})
    assert new["trigger"] == {"triggerType": "PollForSourceChanges", "triggerDetail": "Source"}
    assert wait_finished(setup, name, new["pipelineExecutionId"])["status"] == "Succeeded"

    listed = summaries(setup, name)
    assert [r["revisionId"] for r in listed[0]["sourceRevisions"]] == [version]
    assert [s["pipelineExecutionId"] for s in listed] == [new["pipelineExecutionId"]] + [
        s["pipelineExecutionId"] for s in earlier
    ]
    assert listed[0]["startTime"] > listed[1]["startTime"]
    assert (
        stages(setup, name)["Source"]["actionStates"][0]["currentRevision"]["revisionId"] == version
    )
    after = service(setup)["taskDefinition"]
    assert revision_number(after) == revision_number(before) + 1
    assert_runs(service_view(setup), after, setup.image.uri)


@pytest.mark.parametrize(
    "files, message",
    [
        (
            {"imagedefinitions.json": '[{"name": "MysfitsService", '},
            "The image definition file imagedefinitions.json contents invalid JSON format",
        ),
        (
            {"imagedefinitions.json": json.dumps({"name": CONTAINER_NAME, "imageUri": "x"})},
            "The image definition file imagedefinitions.json contents invalid JSON format",
        ),
        (
            {"imagedefinitions.json": json.dumps([{"name": "NoSuchContainer", "imageUri": "x"}])},
            "The AWS ECS container NoSuchContainer does not exist",
        ),
        (
            {"other.json": "[]"},
            "Exception while trying to read the image artifact file "
            "from the artifact: SourceArtifact.",
        ),
    ],
    ids=["malformed-json", "not-an-array", "unknown-container", "missing-file"],
)
def test_bad_image_definitions_fail_the_deploy_action(
    deploy_pipeline: FirstRun, setup: Setup, files: dict[str, str], message: str
) -> None:
    name = deploy_pipeline.name
    known = {s["pipelineExecutionId"] for s in summaries(setup, name)}
    before = service(setup)["taskDefinition"]
    upload(setup, "deploy/source.zip", files)

    new = wait_new_execution(setup, name, known)
    assert wait_finished(setup, name, new["pipelineExecutionId"])["status"] == "Failed"
    state = stages(setup, name)
    assert state["Source"]["latestExecution"]["status"] == "Succeeded"
    assert state["Deploy"]["latestExecution"] == {
        "pipelineExecutionId": new["pipelineExecutionId"],
        "status": "Failed",
        "type": "STANDARD",
    }
    deploy = state["Deploy"]["actionStates"][0]["latestExecution"]
    assert deploy["status"] == "Failed" and deploy["errorDetails"]["message"] == message
    assert service(setup)["taskDefinition"] == before


# -- Source → Build → Deploy -------------------------------------------------------------------


def test_a_build_stage_turns_the_source_into_image_definitions(setup: Setup) -> None:
    project = build_project(setup, "echo")
    version = upload(setup, "build/source.zip", {"buildspec.yml": ECHO_BUILDSPEC})
    before = service(setup)["taskDefinition"]
    variables = json.dumps(
        [
            {"name": "IMAGE_URI", "value": setup.tagged_uri, "type": "PLAINTEXT"},
            {"name": "CONTAINER", "value": CONTAINER_NAME},
        ]
    )
    name = create_pipeline(
        setup,
        "build",
        [
            (
                "Source",
                source_action(
                    setup.source_bucket, "build/source.zip", PollForSourceChanges="false"
                ),
            ),
            (
                "Build",
                action(
                    "Build",
                    BUILD,
                    {"ProjectName": project, "EnvironmentVariables": variables},
                    inputs=["SourceArtifact"],
                    outputs=["ImageDefinitions"],
                ),
            ),
            ("Deploy", deploy_action(setup, "ImageDefinitions")),
        ],
    )

    [first] = summaries(setup, name)
    done = wait_finished(setup, name, first["pipelineExecutionId"], timeout=DEPLOY_TIMEOUT + 60)
    state = stages(setup, name)
    assert done["status"] == "Succeeded", state
    assert [state[s]["latestExecution"]["status"] for s in ("Source", "Build", "Deploy")] == [
        "Succeeded"
    ] * 3

    build_id = state["Build"]["actionStates"][0]["latestExecution"]["externalExecutionId"]
    [build] = setup.ws.client("codebuild").batch_get_builds(ids=[build_id])["builds"]
    assert build["buildStatus"] == "SUCCEEDED" and build["projectName"] == project
    assert build["source"]["type"] == "S3" and build["source"]["location"].startswith(
        f"{setup.artifact_bucket}/{name[:20]}/SourceArti/"
    )
    [key] = [
        o["Key"]
        for o in setup.s3.list_objects_v2(
            Bucket=setup.artifact_bucket, Prefix=f"{name[:20]}/ImageDefin/"
        )["Contents"]
    ]
    assert re.fullmatch(rf"{re.escape(name[:20])}/ImageDefin/[A-Za-z0-9]{{7}}", key)
    body = setup.s3.get_object(Bucket=setup.artifact_bucket, Key=key)["Body"].read()
    archive = unzipped(body)
    assert json.loads(archive["imagedefinitions.json"]) == [
        {"name": CONTAINER_NAME, "imageUri": setup.tagged_uri}
    ]
    assert archive["revision.txt"].decode() == version  # CODEBUILD_RESOLVED_SOURCE_VERSION

    after = service(setup)["taskDefinition"]
    assert revision_number(after) == revision_number(before) + 1
    assert_runs(service_view(setup), after, setup.tagged_uri)


# -- SUPERSEDED mode and StopPipelineExecution ------------------------------------------------


def test_superseded_mode_and_stopping(setup: Setup, tmp_path: Path) -> None:
    project = build_project(setup, "sleep")
    upload(setup, "slow/source.zip", {"buildspec.yml": GATED_BUILDSPEC})
    build_variables = json.dumps(
        [
            {"name": "SLEEP_SECONDS", "value": "#{variables.SLEEP}"},
            {"name": "GATE", "value": "#{variables.GATE}"},
        ]
    )
    name = create_pipeline(
        setup,
        "slow",
        [
            (
                "Source",
                source_action(setup.source_bucket, "slow/source.zip", PollForSourceChanges="false"),
            ),
            (
                "Build",
                action(
                    "Build",
                    BUILD,
                    {"ProjectName": project, "EnvironmentVariables": build_variables},
                    inputs=["SourceArtifact"],
                ),
            ),
        ],
        variables=[
            {"name": "SLEEP", "defaultValue": "60"},
            {"name": "GATE", "defaultValue": "/nonexistent"},
        ],
    )
    [first] = summaries(setup, name)
    one = first["pipelineExecutionId"]

    def building(execution_id: str) -> bool:
        build = stages(setup, name)["Build"]
        latest = build["actionStates"][0].get("latestExecution", {})
        return (
            build.get("latestExecution", {}).get("pipelineExecutionId") == execution_id
            and latest.get("status") == "InProgress"
            and "externalExecutionId" in latest
        )

    def inbound() -> str | None:
        return stages(setup, name)["Build"].get("inboundExecution", {}).get("pipelineExecutionId")

    poll(lambda: building(one), 60, "the first execution to be building")
    two = setup.cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    poll(lambda: inbound() == two, 30, "the second execution to wait at the Build stage")
    gate = tmp_path / "release-the-third-build"
    three = setup.cp.start_pipeline_execution(
        name=name, variables=[{"name": "GATE", "value": str(gate)}]
    )["pipelineExecutionId"]
    poll(lambda: inbound() == three, 30, "the third execution to wait at the Build stage")
    assert wait_finished(setup, name, two, timeout=10)["status"] == "Superseded"
    assert execution(setup, name, three)["status"] == "InProgress"

    # Abandon: the running build is left behind at once and the waiting execution moves in.
    setup.cp.stop_pipeline_execution(
        pipelineName=name, pipelineExecutionId=one, abandon=True, reason="abandon it"
    )
    assert wait_finished(setup, name, one, timeout=10)["status"] == "Stopped"
    with pytest.raises(ClientError, match="PipelineExecutionNotStoppableException"):
        setup.cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=one)
    poll(lambda: building(three), 30, "the third execution to enter the Build stage")

    # Stop and wait: the build finishes (when the test opens its gate), nothing after it starts.
    setup.cp.stop_pipeline_execution(
        pipelineName=name, pipelineExecutionId=three, reason="wait for it"
    )
    assert execution(setup, name, three)["status"] == "Stopping"
    with pytest.raises(ClientError, match="DuplicatedStopRequestException"):
        setup.cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=three)
    gate.touch()
    stopped = wait_finished(setup, name, three, timeout=60)
    assert stopped["status"] == "Stopped"
    assert stopped["variables"] == [
        {"name": "SLEEP", "resolvedValue": "60"},
        {"name": "GATE", "resolvedValue": str(gate)},
    ]
    build = stages(setup, name)["Build"]
    assert build["latestExecution"] == {
        "pipelineExecutionId": three,
        "status": "Stopped",
        "type": "STANDARD",
    }
    assert build["actionStates"][0]["latestExecution"]["status"] == "Succeeded"
    assert "inboundExecution" not in build

    listed = summaries(setup, name)
    assert [(s["pipelineExecutionId"], s["status"]) for s in listed] == [
        (three, "Stopped"),
        (two, "Superseded"),
        (one, "Stopped"),
    ]
    assert listed[2]["stopTrigger"] == {"reason": "abandon it"}


# -- failures before any deploy ---------------------------------------------------------------


def test_an_unversioned_source_bucket_fails_the_source_action(setup: Setup) -> None:
    upload(setup, "source.zip", image_definitions(setup.image.uri), bucket=setup.unversioned_bucket)
    name = create_pipeline(
        setup,
        "unversioned",
        [
            ("Source", source_action(setup.unversioned_bucket, "source.zip")),
            ("Deploy", deploy_action(setup, "SourceArtifact")),
        ],
    )
    [first] = summaries(setup, name)
    assert (
        wait_finished(setup, name, first["pipelineExecutionId"], timeout=30)["status"] == "Failed"
    )
    state = stages(setup, name)
    source = state["Source"]["actionStates"][0]["latestExecution"]
    assert source["status"] == "Failed"
    assert (
        f"Bucket named {setup.unversioned_bucket} is not versioned"
        in source["errorDetails"]["message"]
    )
    assert "latestExecution" not in state["Deploy"]


def test_an_action_the_local_cloud_does_not_run_fails(setup: Setup) -> None:
    upload(setup, "approval/source.zip", {"readme.txt": "hello"})
    approval = action(
        "Approve",
        {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
        {},
    )
    name = create_pipeline(
        setup,
        "approval",
        [
            (
                "Source",
                source_action(
                    setup.source_bucket, "approval/source.zip", PollForSourceChanges="false"
                ),
            ),
            ("Approve", approval),
        ],
    )
    [first] = summaries(setup, name)
    assert (
        wait_finished(setup, name, first["pipelineExecutionId"], timeout=30)["status"] == "Failed"
    )
    latest = stages(setup, name)["Approve"]["actionStates"][0]["latestExecution"]
    assert latest["status"] == "Failed"
    assert "does not run Approval actions of type AWS/Manual/1" in latest["errorDetails"]["message"]


def test_unknown_pipelines_and_executions_are_errors(
    deploy_pipeline: FirstRun, setup: Setup
) -> None:
    missing = f"{setup.ws.prefix}-no-such-pipeline"
    for call in (
        lambda: setup.cp.get_pipeline_state(name=missing),
        lambda: setup.cp.start_pipeline_execution(name=missing),
        lambda: setup.cp.list_pipeline_executions(pipelineName=missing),
        lambda: setup.cp.get_pipeline_execution(
            pipelineName=missing, pipelineExecutionId=UNKNOWN_EXECUTION
        ),
        lambda: setup.cp.stop_pipeline_execution(
            pipelineName=missing, pipelineExecutionId=UNKNOWN_EXECUTION
        ),
    ):
        with pytest.raises(setup.cp.exceptions.PipelineNotFoundException):
            call()
    existing = deploy_pipeline.name
    with pytest.raises(setup.cp.exceptions.PipelineExecutionNotFoundException):
        setup.cp.get_pipeline_execution(
            pipelineName=existing, pipelineExecutionId=UNKNOWN_EXECUTION
        )
    with pytest.raises(ClientError, match="ValidationException"):
        setup.cp.get_pipeline_execution(pipelineName=existing, pipelineExecutionId="not-an-id")
