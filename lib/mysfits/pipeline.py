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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from . import website
from .idioms import Answer, absent_is_none, create_or_get, delete_if_present, retry_while
from .images import Repository
from .inventory import Family, Leftover
from .network import CoreNetwork
from .workshop import Workshop

SOURCE_KEY = "service-source.zip"
BUILDSPEC = "service/buildspec.yml"
BUILD_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
IMAGE_DEFINITIONS = "imagedefinitions.json"
# On-demand prices in us-east-1: a V2 pipeline bills per action-execution minute, a build per minute.
PIPELINE_USD_PER_ACTION_MINUTE = 0.002
BUILD_USD_PER_MINUTE = 0.005
# What AWS answers while a just-created role is not yet usable everywhere (IAM is eventually
# consistent): CodeBuild "InvalidInputException: CodeBuild is not authorized to perform:
# sts:AssumeRole on …" (or "… role cannot be assumed"), CodePipeline "InvalidStructureException:
# CodePipeline is not authorized to perform AssumeRole on role …".
ROLE_NOT_READY = (
    Answer("InvalidInputException", "not authorized to perform"),
    Answer("InvalidInputException", "cannot be assumed"),
    Answer("InvalidStructureException", "not authorized to perform AssumeRole"),
)


@dataclass(frozen=True)
class Roles:
    build: str
    pipeline: str


# -- buckets and roles ----------------------------------------------------------------------------


def _ensure_bucket(ws: Workshop, name: str, versioned: bool) -> None:
    s3 = ws.client("s3")
    website.create_bucket(ws, name)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": ws.tag_list()})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def ensure_buckets(ws: Workshop) -> tuple[str, str]:
    """The source bucket (versioned: the S3 source action requires it) and the artifact store."""
    _ensure_bucket(ws, ws.names.source_bucket, versioned=True)
    _ensure_bucket(ws, ws.names.artifact_bucket, versioned=False)
    return ws.names.source_bucket, ws.names.artifact_bucket


def _arn(ws: Workshop, service: str, resource: str, region: bool = True) -> str:
    return f"arn:aws:{service}:{ws.region if region else ''}:{ws.account_id}:{resource}"


def build_policy(ws: Workshop, repository: Repository) -> dict[str, Any]:
    """What CodeBuild may do: write its own logs, read and write pipeline artifacts, push to one repository."""
    log_group = _arn(ws, "logs", f"log-group:/aws/codebuild/{ws.names.build_project}")
    artifacts = f"arn:aws:s3:::{ws.names.artifact_bucket}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Logs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [log_group, f"{log_group}:*"],
            },
            {
                "Sid": "Artifacts",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                "Resource": artifacts,
            },
            {
                "Sid": "RegistryLogin",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "PushImage",
                "Effect": "Allow",
                "Resource": repository.arn,
                "Action": [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:CompleteLayerUpload",
                    "ecr:InitiateLayerUpload",
                    "ecr:PutImage",
                    "ecr:UploadLayerPart",
                ],
            },
        ],
    }


def pipeline_policy(ws: Workshop, core: CoreNetwork) -> dict[str, Any]:
    """What CodePipeline may do: read the source, keep artifacts, run one build, deploy one service."""
    service = _arn(ws, "ecs", f"service/{ws.names.cluster}/{ws.names.service}")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Source",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketVersioning"],
                "Resource": [
                    f"arn:aws:s3:::{ws.names.source_bucket}",
                    f"arn:aws:s3:::{ws.names.source_bucket}/*",
                ],
            },
            {
                "Sid": "Artifacts",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
                "Resource": f"arn:aws:s3:::{ws.names.artifact_bucket}/*",
            },
            {
                "Sid": "Build",
                "Effect": "Allow",
                "Action": ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
                "Resource": _arn(ws, "codebuild", f"project/{ws.names.build_project}"),
            },
            {
                "Sid": "Deploy",
                "Effect": "Allow",
                "Action": ["ecs:DescribeServices", "ecs:UpdateService"],
                "Resource": service,
            },
            # These ECS actions do not support resource-level permissions.
            {
                "Sid": "TaskDefinitions",
                "Effect": "Allow",
                "Resource": "*",
                "Action": [
                    "ecs:DescribeTaskDefinition",
                    "ecs:RegisterTaskDefinition",
                    "ecs:DescribeTasks",
                    "ecs:ListTasks",
                    "ecs:TagResource",
                ],
            },
            {
                "Sid": "PassTaskRoles",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": [core.task_role_arn, core.task_execution_role_arn],
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            },
        ],
    }


def _ensure_role(ws: Workshop, name: str, principal: str, policy: dict[str, Any]) -> str:
    iam = ws.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": principal},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ws.account_id}},
            }
        ],
    }

    description = f"Mythical Mysfits workshop ({ws.prefix}): {principal}"

    def adopt() -> str:  # a role from an earlier run: bring its trust policy in line
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])

    arn = create_or_get(
        lambda: iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(trust),
            Tags=ws.tag_list(),
            Description=description,
        )["Role"]["Arn"],
        adopt,
        "EntityAlreadyExists",
    )
    iam.put_role_policy(
        RoleName=name, PolicyName="least-privilege", PolicyDocument=json.dumps(policy)
    )
    return str(arn)


def ensure_roles(ws: Workshop, repository: Repository, core: CoreNetwork) -> Roles:
    """One role for CodeBuild and one for CodePipeline, each with only what its job needs."""
    return Roles(
        build=_ensure_role(
            ws, ws.names.build_role, "codebuild.amazonaws.com", build_policy(ws, repository)
        ),
        pipeline=_ensure_role(
            ws, ws.names.pipeline_role, "codepipeline.amazonaws.com", pipeline_policy(ws, core)
        ),
    )


def _once_role_is_usable(call: Callable[[], Any], what: str) -> Any:
    """Retry `call` while AWS still says the new role cannot be used (it can take seconds to spread)."""
    return retry_while(
        call,
        *ROLE_NOT_READY,
        what=what,
        timeout=120,
        interval=5,
        hint="IAM roles take a little while to become usable; run the cell again if it keeps failing",
    )


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
        _once_role_is_usable(
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
    """Create the pipeline (AWS runs it once at creation), or update it when its definition changed."""
    codepipeline, spec = ws.client("codepipeline"), pipeline_spec(ws, roles)
    current = absent_is_none(
        lambda: codepipeline.get_pipeline(name=spec["name"])["pipeline"],
        "PipelineNotFoundException",
    )
    if current is None:
        _once_role_is_usable(
            lambda: codepipeline.create_pipeline(pipeline=spec, tags=ws.tag_list("key", "value")),
            what="pipeline created",
        )
        return ws.names.pipeline
    if _comparable(current) != _comparable(spec):
        codepipeline.update_pipeline(pipeline=spec)
    return ws.names.pipeline


# -- deleting ---------------------------------------------------------------------------------------


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


def _delete_role(iam: Any, name: str) -> None:
    for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    iam.delete_role(RoleName=name)


def delete_roles(ws: Workshop) -> list[str]:
    """Delete the build and pipeline roles (inline policies first); the names deleted."""
    iam = ws.client("iam")
    return [
        name
        for name in (ws.names.build_role, ws.names.pipeline_role)
        if delete_if_present(functools.partial(_delete_role, iam, name), "NoSuchEntity")
    ]


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
