"""The least-privilege IAM policy a learner needs for `target="aws"`, from recorded calls.

Every signed call of a full run maps to its IAM action (`service:Operation` with the IAM prefix),
plus what AWS checks beside the action itself: passing roles to services, creating service-linked
roles, tagging on create, and what CloudFormation does with the caller's credentials. Generated
into `docs/learner-policy.json` by `mysfits learner-policy --write docs/learner-policy.json`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session

from .apicalls import ApiCall
from .stackpermissions import roles_passed, stack_actions, template_needs

# boto3's service name → IAM's service prefix, where they differ.
IAM_PREFIX = {"elbv2": "elasticloadbalancing"}
# Calls AWS answers for any identity: no policy can deny them. Cognito's sign-up and sign-in
# calls are made by the site's visitors without AWS credentials (`smithy.api#noAuth`): IAM is not
# evaluated for them, whoever sends them.
NO_PERMISSION = {
    ("sts", "GetCallerIdentity"),
    ("cognito-idp", "SignUp"),
    ("cognito-idp", "ConfirmSignUp"),
    ("cognito-idp", "ResendConfirmationCode"),
    ("cognito-idp", "InitiateAuth"),
}
# Operations authorised by an action of another name (S3's Service Authorization Reference).
RENAMED: dict[tuple[str, str], tuple[str, ...]] = {
    ("s3", "HeadBucket"): ("s3:ListBucket",),
    ("s3", "HeadObject"): ("s3:GetObject",),
    ("s3", "ListObjects"): ("s3:ListBucket",),
    ("s3", "ListObjectsV2"): ("s3:ListBucket",),
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    ("s3", "ListBuckets"): ("s3:ListAllMyBuckets",),
    ("s3", "ListMultipartUploads"): ("s3:ListBucketMultipartUploads",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject",),
    ("s3", "CopyObject"): ("s3:GetObject", "s3:PutObject"),
    ("s3", "PutPublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "GetPublicAccessBlock"): ("s3:GetBucketPublicAccessBlock",),
    ("s3", "DeletePublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "PutBucketNotificationConfiguration"): ("s3:PutBucketNotification",),
}
# Naming a version makes S3 check the version's own action instead.
VERSIONED = {
    ("s3", "GetObject"): "s3:GetObjectVersion",
    ("s3", "HeadObject"): "s3:GetObjectVersion",
    ("s3", "DeleteObject"): "s3:DeleteObjectVersion",
    ("s3", "DeleteObjects"): "s3:DeleteObjectVersion",
}
# A create call that carries tags is also authorised for tagging (each service's "tag on create").
TAG_ON_CREATE = {
    "ecs": "ecs:TagResource",
    "elbv2": "elasticloadbalancing:AddTags",
    "ecr": "ecr:TagResource",
    "logs": "logs:TagResource",
    "iam": "iam:TagRole",
    "dynamodb": "dynamodb:TagResource",
    "codepipeline": "codepipeline:TagResource",
    "apigateway": "apigateway:PUT",  # TagResource is a PUT on the resource's tags
    "ec2": "ec2:CreateTags",
}
# Services whose IAM actions are the HTTP method of the call, not its operation name (API
# Gateway's management API: `apigateway:GET`, `apigateway:POST`, ...).
BY_HTTP_METHOD = {"apigateway"}
# Calls that hand a role to a service: iam:PassRole, for that service only.
PASS_ROLE: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("ecs", "RegisterTaskDefinition"): (
        "ecs-tasks.amazonaws.com",
        ("executionRoleArn", "taskRoleArn"),
    ),
    ("codebuild", "CreateProject"): ("codebuild.amazonaws.com", ("serviceRole",)),
    ("codebuild", "UpdateProject"): ("codebuild.amazonaws.com", ("serviceRole",)),
    ("codepipeline", "CreatePipeline"): ("codepipeline.amazonaws.com", ("pipeline.roleArn",)),
    ("codepipeline", "UpdatePipeline"): ("codepipeline.amazonaws.com", ("pipeline.roleArn",)),
}
# The first of these in an account creates the service's service-linked role.
SERVICE_LINKED = {
    ("ecs", "CreateCluster"): "ecs.amazonaws.com",
    ("ecs", "CreateService"): "ecs.amazonaws.com",
    ("elbv2", "CreateLoadBalancer"): "elasticloadbalancing.amazonaws.com",
}
# On AWS the image goes up with `docker push`, after a `docker login` with an ECR token; the local
# run pushes through the same layer API without Docker, so the token call is implied by PutImage.
ALSO_NEEDED: dict[tuple[str, str], tuple[str, ...]] = {
    ("ecr", "PutImage"): ("ecr:GetAuthorizationToken",),
    # A VPC link is a VPC endpoint service on the load balancer, made with the caller's rights
    # (API Gateway's "Grant permissions for API Gateway to create a VPC link").
    ("apigateway", "CreateVpcLink"): (
        "ec2:CreateVpcEndpointServiceConfiguration",
        "ec2:DescribeVpcEndpointServiceConfigurations",
        "ec2:ModifyVpcEndpointServicePermissions",
        "elasticloadbalancing:DescribeLoadBalancers",
    ),
    ("apigateway", "DeleteVpcLink"): (
        "ec2:DeleteVpcEndpointServiceConfigurations",
        "ec2:DescribeVpcEndpointServiceConfigurations",
    ),
}
MANAGED_POLICY_LIMIT = 6144  # characters, whitespace not counted (IAM quota for a managed policy)


@dataclass
class Grants:
    """What a run needs, sorted into the statements of the policy."""

    actions: set[str] = field(default_factory=set)
    through_stacks: set[str] = field(default_factory=set)
    passed_to: set[str] = field(default_factory=set)
    linked_for: set[str] = field(default_factory=set)
    unknown_types: set[str] = field(default_factory=set)


def _lookup(params: dict[str, Any], path: str) -> Any:
    value: Any = params
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _names_version(params: dict[str, Any]) -> bool:
    objects = (params.get("Delete") or {}).get("Objects") or []
    return "VersionId" in params or any(isinstance(o, dict) and "VersionId" in o for o in objects)


def _tagged_create(call: ApiCall) -> bool:
    creates = call.operation.startswith(("Create", "Register"))
    tags = (
        call.params.get("Tags") or call.params.get("tags") or call.params.get("TagSpecifications")
    )
    return creates and bool(tags)


@cache
def http_method(service: str, operation: str) -> str:
    """The HTTP method of `operation` in botocore's model of `service`."""
    model = botocore.session.get_session().get_service_model(service)
    return str(model.operation_model(operation).http["method"])


def _action(call: ApiCall) -> str:
    prefix = IAM_PREFIX.get(call.service, call.service)
    if call.service in BY_HTTP_METHOD:
        return f"{prefix}:{http_method(call.service, call.operation)}"
    return f"{prefix}:{call.operation}"


def actions_for(call: ApiCall) -> set[str]:
    """The IAM actions one call is authorised by (tagging and implied calls included)."""
    key = (call.service, call.operation)
    if key in NO_PERMISSION:
        return set()
    actions = set(RENAMED.get(key, (_action(call),)))
    if key in VERSIONED and _names_version(call.params):
        actions.add(VERSIONED[key])
    if _tagged_create(call) and call.service in TAG_ON_CREATE:
        actions.add(TAG_ON_CREATE[call.service])
    return actions | set(ALSO_NEEDED.get(key, ()))


def _stack_grants(calls: list[ApiCall], grants: Grants) -> None:
    """What CloudFormation does with the caller's credentials for the templates the run sent.

    DeleteStack names no template: it deletes what the run's templates created.
    """
    bodies = {
        c.params["TemplateBody"] for c in calls if isinstance(c.params.get("TemplateBody"), str)
    }
    needs = [template_needs(body) for body in sorted(bodies)]
    for operation in sorted({c.operation for c in calls if c.service == "cloudformation"}):
        for need in needs:
            actions, unknown = stack_actions(operation, need)
            grants.through_stacks |= actions
            grants.unknown_types |= unknown
            grants.passed_to |= roles_passed(operation, need)


def grants_for(calls: Iterable[ApiCall]) -> Grants:
    """Sort every signed call's needs: direct actions, roles passed, linked roles, stack work."""
    signed = [c for c in calls if c.signed]  # anonymous visitors need no policy
    grants = Grants()
    for call in signed:
        key = (call.service, call.operation)
        grants.actions |= actions_for(call)
        passed = PASS_ROLE.get(key)
        if passed and any(_lookup(call.params, path) for path in passed[1]):
            grants.passed_to.add(passed[0])
        if key in SERVICE_LINKED:
            grants.linked_for.add(SERVICE_LINKED[key])
    _stack_grants(signed, grants)
    grants.through_stacks -= grants.actions
    return grants


def _sid(prefix: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", prefix))


def _statement(
    sid: str, actions: Iterable[str], condition: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": "*",
    }
    return {**statement, "Condition": condition} if condition else statement


def policy_document(grants: Grants) -> dict[str, Any]:
    """The policy: one statement per service, then stack work, passed roles, linked roles."""
    by_prefix: dict[str, set[str]] = {}
    for action in grants.actions:
        by_prefix.setdefault(action.split(":", 1)[0], set()).add(action)
    statements = [
        _statement(_sid(prefix), actions) for prefix, actions in sorted(by_prefix.items())
    ]
    if grants.through_stacks:
        statements.append(_statement("ResourcesCloudFormationCreatesForYou", grants.through_stacks))
    if grants.passed_to:
        statements.append(
            _statement(
                "PassRolesToWorkshopServices",
                ["iam:PassRole"],
                {"StringEquals": {"iam:PassedToService": sorted(grants.passed_to)}},
            )
        )
    if grants.linked_for:
        statements.append(
            _statement(
                "CreateServiceLinkedRoles",
                ["iam:CreateServiceLinkedRole"],
                {"StringEquals": {"iam:AWSServiceName": sorted(grants.linked_for)}},
            )
        )
    return {"Version": "2012-10-17", "Statement": statements}


def learner_policy(calls: Iterable[ApiCall]) -> dict[str, Any]:
    """The learner's policy for the calls of a run (deterministic: everything sorted)."""
    return policy_document(grants_for(calls))


def render(policy: dict[str, Any]) -> str:
    """The policy as the committed file holds it."""
    return json.dumps(policy, indent=2) + "\n"


def policy_size(policy: dict[str, Any]) -> int:
    """Characters IAM counts against the managed-policy quota (whitespace excluded)."""
    return len(re.sub(r"\s", "", json.dumps(policy)))


def _fitting(statement: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The statement, or its actions cut into the fewest numbered statements that each fit."""
    actions = statement["Action"]
    for count in range(1, len(actions) + 1):
        size = -(-len(actions) // count)
        pieces = [
            {**statement, "Sid": statement["Sid"] + (str(n + 1) if n else ""), "Action": chunk}
            for n, chunk in enumerate(actions[i : i + size] for i in range(0, len(actions), size))
        ]
        if all(policy_size({"Version": "2012-10-17", "Statement": [p]}) <= limit for p in pieces):
            return pieces
    raise ValueError(f"statement {statement['Sid']} cannot fit in {limit} characters")


def managed_parts(
    policy: dict[str, Any], limit: int = MANAGED_POLICY_LIMIT
) -> list[dict[str, Any]]:
    """The policy as managed policies of at most `limit` characters each, statements in order.

    A user or role may have 10 managed policies attached (IAM's default quota), so the parts
    together grant exactly what the whole policy grants.
    """
    parts: list[dict[str, Any]] = []
    for statement in (s for whole in policy["Statement"] for s in _fitting(whole, limit)):
        grown = {**parts[-1], "Statement": [*parts[-1]["Statement"], statement]} if parts else None
        if grown and policy_size(grown) <= limit:
            parts[-1] = grown
        else:
            parts.append({"Version": policy["Version"], "Statement": [statement]})
    return parts


def part_paths(path: Path, count: int) -> list[Path]:
    """Where the parts of the policy written to `path` go: beside it, numbered from 1."""
    return [path.with_name(f"{path.stem}-part-{n}{path.suffix}") for n in range(1, count + 1)]
