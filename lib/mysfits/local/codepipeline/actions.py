"""The local CodePipeline's action types: Source AWS/S3/1, Build AWS/CodeBuild/1, Deploy AWS/ECS/1.

Each takes a `Step` and returns its revision and output variables, or raises `ActionFailed` with
the message AWS would show in the action's errorDetails.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from ..codebuild import api as codebuild_api
from .steps import BUILD, DEPLOY, SOURCE, ActionFailed, Artifact, Outcome, Step, type_of

# How often an action looks at its build or deployment. AWS's stages take longer than this to
# notice either, so these stay as they are rather than making the local pipeline faster still.
BUILD_POLL_SECONDS = 1.0
DEPLOY_POLL_SECONDS = 0.5
MAX_IMAGE_DEFINITIONS_BYTES = 100 * 1024
REVISION_SUMMARY_METADATA = "codepipeline-artifact-revision-summary"


def _timestamp(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else time.time()


def unsupported(action: dict[str, Any]) -> str:
    category, owner, provider, version = type_of(action)
    return (
        f"The local cloud does not run {category} actions of type {owner}/{provider}/{version}: "
        "it runs Source AWS/S3/1, Build AWS/CodeBuild/1 and Deploy AWS/ECS/1 only"
    )


# -- Source: AWS/S3/1 -----------------------------------------------------------------------------


def _s3_source(step: Step) -> Outcome:
    run, configuration = step.run, step.configuration
    bucket, key = configuration.get("S3Bucket", ""), configuration.get("S3ObjectKey", "")
    s3 = run.client("s3")
    try:
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    except ClientError as error:
        raise ActionFailed(
            f"Cannot read the versioning state of bucket {bucket}: {error}"
        ) from None
    if versioning != "Enabled":
        raise ActionFailed(
            f"Bucket named {bucket} is not versioned: the Amazon S3 source action needs a bucket "
            "with versioning enabled"
        )
    pinned = run.execution.source_versions.get(
        step.action["name"]
    )  # the version that triggered the execution
    try:
        source = s3.get_object(Bucket=bucket, Key=key, **({"VersionId": pinned} if pinned else {}))
    except ClientError as error:
        if error.response["Error"]["Code"] in {"NoSuchKey", "NoSuchVersion", "404"}:
            raise ActionFailed(f"The object with key '{key}' does not exist.") from None
        raise
    body, version, etag = source["Body"].read(), source["VersionId"], source["ETag"].strip('"')
    run.book.note_source_revision(run.pipeline, f"{step.stage}/{step.action['name']}", version)
    created = _timestamp(source.get("LastModified"))
    url = (
        f"https://console.aws.amazon.com/s3/object/{bucket}?region={run.region}"
        f"&prefix={key}&versionId={version}"
    )
    summary = (source.get("Metadata") or {}).get(REVISION_SUMMARY_METADATA)
    for output in step.action.get("outputArtifacts") or []:
        stored = run.artifact_key(output["name"])
        s3.put_object(Bucket=run.store, Key=stored, Body=body)
        run.artifacts[output["name"]] = Artifact(run.store, stored, version)
        revision = {
            "name": output["name"],
            "revisionId": version,
            "revisionChangeIdentifier": etag,
            "created": created,
            "revisionUrl": url,
        }
        run.book.add_revision(
            run.execution,
            {**revision, **({"revisionSummary": summary} if summary else {})},
            {
                "actionName": step.action["name"],
                "revisionId": version,
                "revisionUrl": url,
                **({"revisionSummary": summary} if summary else {}),
            },
        )
    step.update(externalExecutionId=version, **({"summary": summary} if summary else {}))
    return (
        {
            "currentRevision": {
                "revisionId": version,
                "revisionChangeId": etag,
                "created": created,
            },
            "revisionUrl": url,
        },
        {"ETag": etag, "VersionId": version},
    )


# -- Build: AWS/CodeBuild/1 -----------------------------------------------------------------------


def _input(step: Step, preferred: str | None = None) -> tuple[str, Artifact]:
    names = [a["name"] for a in step.action.get("inputArtifacts") or []]
    if not names:
        raise ActionFailed(f"Action {step.action['name']} has no input artifact")
    name = preferred if preferred in names else names[0]
    if name not in step.run.artifacts:
        raise ActionFailed(
            f"Input artifact {name} was not produced by an earlier action of this execution"
        )
    return name, step.run.artifacts[name]


def _environment_variables(text: str | None) -> list[dict[str, str]]:
    if not text:
        return []
    try:
        variables = json.loads(text)
        return [
            {
                "name": str(v["name"]),
                "value": str(v["value"]),
                "type": str(v.get("type", "PLAINTEXT")),
            }
            for v in variables
        ]
    except (ValueError, TypeError, KeyError):
        raise ActionFailed(
            "EnvironmentVariables must be a JSON array of objects with name, value and "
            "optionally type"
        ) from None


def _codebuild(step: Step) -> Outcome:
    run, configuration = step.run, step.configuration
    project = configuration.get("ProjectName", "")
    _, source = _input(step, configuration.get("PrimarySource"))
    codebuild = run.client("codebuild")
    projects = codebuild.batch_get_projects(names=[project])["projects"]
    if not projects:
        raise ActionFailed(
            "Project cannot be found: "
            f"arn:aws:codebuild:{run.region}:{run.account}:project/{project}"
        )
    arguments: dict[str, Any] = {
        "projectName": project,
        "sourceTypeOverride": "S3",
        "sourceLocationOverride": f"{source.bucket}/{source.key}",
        "artifactsOverride": {"type": "NO_ARTIFACTS"},
    }
    buildspec = projects[0]["source"].get("buildspec")
    if buildspec:  # a source type override must not lose the project's own buildspec
        arguments["buildspecOverride"] = buildspec
    variables = _environment_variables(configuration.get("EnvironmentVariables"))
    if variables:
        arguments["environmentVariablesOverride"] = variables
    outputs = [a["name"] for a in step.action.get("outputArtifacts") or []]
    output_key = run.artifact_key(outputs[0]) if outputs else ""
    if outputs:
        path, name = output_key.rsplit("/", 1)
        arguments["artifactsOverride"] = {
            "type": "S3",
            "location": run.store,
            "path": path,
            "name": name,
            "packaging": "ZIP",
            "namespaceType": "NONE",
        }
    # On AWS the artifact carries its revision: the build sees it as
    # CODEBUILD_RESOLVED_SOURCE_VERSION.
    builds = codebuild_api.book(run.runner.stores, run.account, run.region)
    builds.note_pipeline_source(
        arguments["sourceLocationOverride"], source.revision, run.execution.pipeline
    )
    build = codebuild.start_build(**arguments)["build"]
    step.update(
        externalExecutionId=build["id"],
        externalExecutionUrl=(
            f"https://console.aws.amazon.com/codebuild/home?region={run.region}#/builds/{build['id']}/view/new"
        ),
    )
    while build["buildStatus"] == "IN_PROGRESS":
        run.sleep(BUILD_POLL_SECONDS)
        build = codebuild.batch_get_builds(ids=[build["id"]])["builds"][0]
    if build["buildStatus"] != "SUCCEEDED":
        raise ActionFailed(_build_failure(build))
    if outputs:
        run.artifacts[outputs[0]] = Artifact(run.store, output_key, source.revision)
    return None, {}


def _build_failure(build: dict[str, Any]) -> str:
    message = f"Build terminated with state: {build['buildStatus']}"
    failed = [
        p
        for p in build.get("phases", [])
        if p.get("phaseStatus") not in {None, "SUCCEEDED"} and p.get("contexts")
    ]
    if failed:
        context = failed[0]["contexts"][0]
        message += (
            f". Phase context status code: {context.get('statusCode')} "
            f"Message: {context.get('message')}"
        )
    return message


# -- Deploy: AWS/ECS/1 ----------------------------------------------------------------------------


def image_definitions(archive: bytes, file_name: str, artifact: str) -> dict[str, str]:
    """Container name → image URI from the artifact's image definitions, or AWS's ActionFailed."""
    unreadable = (
        f"Exception while trying to read the image artifact file from the artifact: {artifact}."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as opened:
            info = opened.getinfo(file_name)
            if info.file_size > MAX_IMAGE_DEFINITIONS_BYTES:
                raise ActionFailed(
                    f"The image definition file {file_name} is larger than the 100 KB limit"
                )
            data = opened.read(info)
    except (zipfile.BadZipFile, KeyError):
        raise ActionFailed(unreadable) from None
    invalid = f"The image definition file {file_name} contents invalid JSON format"
    try:
        entries = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ActionFailed(invalid) from None
    if (
        not isinstance(entries, list)
        or not entries
        or not all(
            isinstance(e, dict)
            and isinstance(e.get("name"), str)
            and isinstance(e.get("imageUri"), str)
            for e in entries
        )
    ):
        raise ActionFailed(invalid)
    return {e["name"]: e["imageUri"] for e in entries}


def _revision_of(
    ecs: Any, definition: dict[str, Any], tags: list[dict[str, str]], images: dict[str, str]
) -> str:
    """Register a copy of `definition` with the containers' images replaced; its ARN."""
    containers = [dict(c) for c in definition["containerDefinitions"]]
    known = {c["name"] for c in containers}
    for name in images:
        if name not in known:
            raise ActionFailed(f"The AWS ECS container {name} does not exist")
    for container in containers:
        container["image"] = images.get(container["name"], container["image"])
    accepted = ecs.meta.service_model.operation_model("RegisterTaskDefinition").input_shape.members
    arguments = {k: v for k, v in definition.items() if k in accepted and v not in (None, [], {})}
    arguments["containerDefinitions"] = containers
    if tags:
        arguments["tags"] = tags
    return str(ecs.register_task_definition(**arguments)["taskDefinition"]["taskDefinitionArn"])


def _ecs_deploy(step: Step) -> Outcome:
    run, configuration = step.run, step.configuration
    cluster, service_name = (
        configuration.get("ClusterName", ""),
        configuration.get("ServiceName", ""),
    )
    artifact_name, artifact = _input(step)
    archive = run.client("s3").get_object(Bucket=artifact.bucket, Key=artifact.key)["Body"].read()
    images = image_definitions(
        archive, configuration.get("FileName") or "imagedefinitions.json", artifact_name
    )
    ecs = run.client("ecs")
    try:
        services = ecs.describe_services(cluster=cluster, services=[service_name])["services"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ClusterNotFoundException":
            raise ActionFailed(f"The AWS ECS cluster {cluster} does not exist") from None
        raise
    if not services or services[0]["status"] != "ACTIVE":
        raise ActionFailed(
            f"The AWS ECS service {service_name} does not exist in cluster {cluster}"
        )
    current = ecs.describe_task_definition(
        taskDefinition=services[0]["taskDefinition"], include=["TAGS"]
    )
    arn = _revision_of(ecs, current["taskDefinition"], current.get("tags") or [], images)
    ecs.update_service(cluster=cluster, service=service_name, taskDefinition=arn)
    step.update(
        externalExecutionUrl=(
            f"https://console.aws.amazon.com/ecs/v2/clusters/{cluster}/services/"
            f"{service_name}/deployments?region={run.region}"
        )
    )
    _wait_for_rollout(
        step,
        ecs,
        cluster,
        service_name,
        arn,
        float(configuration.get("DeploymentTimeout") or 60) * 60,
    )
    return None, {}


def _wait_for_rollout(
    step: Step, ecs: Any, cluster: str, service: str, arn: str, timeout: float
) -> None:
    """Until `arn`'s deployment is the COMPLETED primary; ActionFailed on failure, loss, timeout."""
    deadline = time.monotonic() + timeout
    while True:
        described = ecs.describe_services(cluster=cluster, services=[service])["services"]
        deployments = [
            d
            for d in (described[0]["deployments"] if described else [])
            if d["taskDefinition"] == arn
        ]
        if not deployments:
            raise ActionFailed(
                f"The Amazon ECS deployment of {arn} failed: the service no longer deploys it "
                "(see the service's events)"
            )
        deployment = deployments[0]
        if "externalExecutionId" not in step.latest:
            step.update(externalExecutionId=deployment["id"])
        if deployment.get("rolloutState") == "FAILED":
            raise ActionFailed(
                f"The Amazon ECS deployment {deployment['id']} failed: "
                f"{deployment.get('rolloutStateReason', '')}".rstrip(": ")
            )
        if deployment["status"] == "PRIMARY" and deployment.get("rolloutState") == "COMPLETED":
            return
        if time.monotonic() > deadline:
            raise ActionFailed(
                f"The Amazon ECS deployment {deployment['id']} did not complete within "
                f"{timeout / 60:g} minutes (DeploymentTimeout)"
            )
        step.run.sleep(DEPLOY_POLL_SECONDS)


HANDLERS: dict[tuple[str, str, str, str], Callable[[Step], Outcome]] = {
    SOURCE: _s3_source,
    BUILD: _codebuild,
    DEPLOY: _ecs_deploy,
}
