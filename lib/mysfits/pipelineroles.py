"""The delivery pipeline's IAM roles: least-privilege policy documents, creation, deletion."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .idioms import Answer, create_or_get, delete_if_present, retry_while
from .images import Repository
from .network import CoreNetwork
from .workshop import Workshop

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
    """The ARNs of the build and pipeline roles."""

    build: str
    pipeline: str


def _arn(ws: Workshop, service: str, resource: str, region: bool = True) -> str:
    return f"arn:aws:{service}:{ws.region if region else ''}:{ws.account_id}:{resource}"


def build_policy(ws: Workshop, repository: Repository) -> dict[str, Any]:
    """What CodeBuild may do: write its logs, read and write artifacts, push to one repository."""
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
    """What CodePipeline may do: read the source, keep artifacts, run a build, deploy a service."""
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


def once_role_is_usable(call: Callable[[], Any], what: str) -> Any:
    """Retry `call` while AWS says the new role cannot be used yet (it takes seconds to spread)."""
    return retry_while(
        call,
        *ROLE_NOT_READY,
        what=what,
        timeout=120,
        interval=5,
        hint=(
            "IAM roles take a little while to become usable; run the cell again if it keeps failing"
        ),
    )


# -- deleting -------------------------------------------------------------------------------------


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
