"""Module 2, part 3: continuous delivery of the service.

A push is an upload of the service's source (a zip) to a versioned S3 bucket. CodePipeline
notices the new version, CodeBuild runs `service/buildspec.yml` to build and push the image,
and the ECS deploy action rolls the service to it. S3 is the source rather than a Git host so
that the same code works on a fresh AWS account and on the local cloud with no extra tools.
This module builds the pipeline; `releases` ships through it and `releasewatch` follows a release.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

from .buckets import ALL_BLOCKED, create_bucket
from .idioms import absent_is_none, delete_if_present
from .images import Repository
from .inventory import Family, Leftover
from .pipelineroles import (
    Roles,
    build_policy,
    delete_roles,
    ensure_roles,
    once_role_is_usable,
    pipeline_policy,
)
from .workshop import Workshop

__all__ = [
    "BUILDSPEC",
    "BUILD_IMAGE",
    "BUILD_USD_PER_MINUTE",
    "CLEANUP",
    "IMAGE_DEFINITIONS",
    "PIPELINE_USD_PER_ACTION_MINUTE",
    "SOURCE_KEY",
    "Roles",
    "build_policy",
    "build_project_spec",
    "delete_build_project",
    "delete_pipeline",
    "delete_roles",
    "ensure_buckets",
    "ensure_build_project",
    "ensure_pipeline",
    "ensure_roles",
    "leftovers",
    "pipeline_policy",
    "pipeline_spec",
]

SOURCE_KEY = "service-source.zip"
BUILDSPEC = "service/buildspec.yml"
BUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
IMAGE_DEFINITIONS = "imagedefinitions.json"
# On-demand prices in us-east-1: a V2 pipeline bills per action-execution minute, a build per
# minute.
PIPELINE_USD_PER_ACTION_MINUTE = 0.002
BUILD_USD_PER_MINUTE = 0.005


# -- buckets (the roles are in pipelineroles) ------------------------------------------------------


def _ensure_bucket(ws: Workshop, name: str, versioned: bool) -> None:
    s3 = ws.client("s3")
    create_bucket(ws, name)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=ALL_BLOCKED)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": ws.tag_list()})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def ensure_buckets(ws: Workshop) -> tuple[str, str]:
    """The source bucket (versioned: the S3 source action requires it) and the artifact store."""
    _ensure_bucket(ws, ws.names.source_bucket, versioned=True)
    _ensure_bucket(ws, ws.names.artifact_bucket, versioned=False)
    return ws.names.source_bucket, ws.names.artifact_bucket


# -- build project and pipeline -------------------------------------------------------------------


def build_project_spec(ws: Workshop, repository: Repository, roles: Roles) -> dict[str, Any]:
    """The CodeBuild project: the service's buildspec on a standard Linux image with Docker."""
    return {
        "name": ws.names.build_project,
        "description": "Builds the Mysfits service image and pushes it to ECR",
        "source": {"type": "CODEPIPELINE", "buildspec": BUILDSPEC},
        "artifacts": {"type": "CODEPIPELINE"},
        "environment": {
            "type": "LINUX_CONTAINER",
            "image": BUILD_IMAGE,
            "computeType": "BUILD_GENERAL1_SMALL",
            "privilegedMode": True,  # docker build needs it
            "environmentVariables": [
                {"name": "REPOSITORY_URI", "value": repository.uri, "type": "PLAINTEXT"},
                {"name": "AWS_ACCOUNT_ID", "value": ws.account_id, "type": "PLAINTEXT"},
            ],
        },
        "serviceRole": roles.build,
        "timeoutInMinutes": 20,
        "logsConfig": {"cloudWatchLogs": {"status": "ENABLED"}},
        "tags": ws.tag_list("key", "value"),
    }


def ensure_build_project(ws: Workshop, repository: Repository, roles: Roles) -> str:
    """Create the project, or bring an existing one in line with the spec; return its name."""
    codebuild, spec = ws.client("codebuild"), build_project_spec(ws, repository, roles)
    if codebuild.batch_get_projects(names=[spec["name"]])["projects"]:
        codebuild.update_project(**spec)
    else:
        once_role_is_usable(
            lambda: codebuild.create_project(**spec), what="CodeBuild project created"
        )
    return ws.names.build_project


def pipeline_spec(ws: Workshop, roles: Roles) -> dict[str, Any]:
    """Source (S3) → Build (CodeBuild) → Deploy (ECS rolling update)."""

    def action(
        category: str,
        provider: str,
        configuration: dict[str, str],
        inputs: list[str],
        outputs: list[str],
    ) -> dict[str, Any]:
        return {
            "name": category,
            "actionTypeId": {
                "category": category,
                "owner": "AWS",
                "provider": provider,
                "version": "1",
            },
            "configuration": configuration,
            "runOrder": 1,
            "inputArtifacts": [{"name": n} for n in inputs],
            "outputArtifacts": [{"name": n} for n in outputs],
        }

    return {
        "name": ws.names.pipeline,
        "roleArn": roles.pipeline,
        "pipelineType": "V2",
        "executionMode": "SUPERSEDED",
        "artifactStore": {"type": "S3", "location": ws.names.artifact_bucket},
        "stages": [
            {
                "name": "Source",
                "actions": [
                    action(
                        "Source",
                        "S3",
                        {
                            "S3Bucket": ws.names.source_bucket,
                            "S3ObjectKey": SOURCE_KEY,
                            "PollForSourceChanges": "true",
                        },
                        [],
                        ["SourceCode"],
                    )
                ],
            },
            {
                "name": "Build",
                "actions": [
                    action(
                        "Build",
                        "CodeBuild",
                        {"ProjectName": ws.names.build_project},
                        ["SourceCode"],
                        ["ImageDefinitions"],
                    )
                ],
            },
            {
                "name": "Deploy",
                "actions": [
                    action(
                        "Deploy",
                        "ECS",
                        {
                            "ClusterName": ws.names.cluster,
                            "ServiceName": ws.names.service,
                            "FileName": IMAGE_DEFINITIONS,
                        },
                        ["ImageDefinitions"],
                        [],
                    )
                ],
            },
        ],
    }


def _comparable(pipeline: dict[str, Any]) -> str:
    keep = ("roleArn", "artifactStore", "stages", "pipelineType", "executionMode")
    return json.dumps({k: pipeline.get(k) for k in keep}, sort_keys=True)


def ensure_pipeline(ws: Workshop, roles: Roles) -> str:
    """Create the pipeline (AWS runs it once on creation), or update it if its spec changed."""
    codepipeline, spec = ws.client("codepipeline"), pipeline_spec(ws, roles)
    current = absent_is_none(
        lambda: codepipeline.get_pipeline(name=spec["name"])["pipeline"],
        "PipelineNotFoundException",
    )
    if current is None:
        once_role_is_usable(
            lambda: codepipeline.create_pipeline(pipeline=spec, tags=ws.tag_list("key", "value")),
            what="pipeline created",
        )
        return ws.names.pipeline
    if _comparable(current) != _comparable(spec):
        codepipeline.update_pipeline(pipeline=spec)
    return ws.names.pipeline


# -- deleting -------------------------------------------------------------------------------------


def _pipeline(ws: Workshop) -> dict[str, Any] | None:
    return absent_is_none(
        lambda: ws.client("codepipeline").get_pipeline(name=ws.names.pipeline),
        "PipelineNotFoundException",
    )


def _build_project_exists(ws: Workshop) -> bool:
    codebuild = ws.client("codebuild")
    return bool(codebuild.batch_get_projects(names=[ws.names.build_project])["projects"])


def delete_pipeline(ws: Workshop) -> bool:
    """Delete the pipeline (its running executions stop); False if it was already gone."""
    if _pipeline(ws) is None:
        return False
    ws.client("codepipeline").delete_pipeline(name=ws.names.pipeline)
    return True


def delete_build_project(ws: Workshop) -> bool:
    """Delete the CodeBuild project and its log group; False if the project was already gone."""
    existed = _build_project_exists(ws)
    if existed:
        ws.client("codebuild").delete_project(name=ws.names.build_project)
    logs, group = ws.client("logs"), f"/aws/codebuild/{ws.names.build_project}"
    delete_if_present(
        lambda: logs.delete_log_group(logGroupName=group), "ResourceNotFoundException"
    )
    return existed


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The pipeline, build project, their roles and build logs (billed per use, not per hour)."""
    if _pipeline(ws) is not None:
        yield Leftover("codepipeline pipeline", ws.names.pipeline)
    if _build_project_exists(ws):
        yield Leftover("codebuild project", ws.names.build_project)
    iam = ws.client("iam")
    for role in (ws.names.build_role, ws.names.pipeline_role):
        found = absent_is_none(functools.partial(iam.get_role, RoleName=role), "NoSuchEntity")
        if found is not None:
            yield Leftover("iam role", role)
    groups = ws.client("logs").describe_log_groups(
        logGroupNamePrefix=f"/aws/codebuild/{ws.names.build_project}"
    )["logGroups"]
    yield from (Leftover("log group", g["logGroupName"]) for g in groups)


# First in cleanup, so nothing redeploys while the rest goes; nothing else uses the roles.
CLEANUP = Family(
    leftovers,
    steps=(
        ("pipeline", delete_pipeline),
        ("build project", delete_build_project),
        ("pipeline roles", delete_roles),
    ),
)
