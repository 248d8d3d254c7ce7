"""What CloudFormation needs from the caller to create, update and delete a template's resources.

Without a service role, CloudFormation acts with the caller's own credentials, so a learner who
creates the core stack needs every EC2 and IAM action its resources' handlers make. AWS publishes
those per resource type in the resource provider schemas (`handlers.<create|update|delete>.
permissions`); cfn-lint ships them, pinned with it, so they are read from there. A template with
the SAM transform is expanded first (aws-sam-translator, as CloudFormation does): its handlers are
those of the resources the transform makes. `iam:PassRole` is never granted as the schemas list it
(any role to any service): each resource that names a role passes it to its own service only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import boto3
import cfnlint
from cfnlint.decode import decode_str
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

_SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
# Which handlers a stack operation runs: an update may add, change and remove resources.
HANDLERS = {
    "CreateStack": ("create",),
    "UpdateStack": ("create", "update", "delete"),
    "DeleteStack": ("delete",),
    "ExecuteChangeSet": ("create", "update", "delete"),  # a CREATE or an UPDATE change set
}
SAM = "AWS::Serverless-2016-10-31"
# An IAM action's shape. AWS::Logs::LogGroup's schema also lists `s3:REST.PUT.OBJECT`, the name S3's
# server access logs give a PUT, which no policy can grant: such names are left out.
IAM_ACTION = re.compile(r"[a-z0-9-]+:[A-Za-z0-9]+")
# The resource types whose handlers pass a role (`iam:PassRole` in their schema): the service the
# role goes to, and the properties that name one (none: this type passes none the way we use it).
PASSES_ROLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "AWS::Lambda::Function": ("lambda.amazonaws.com", ("Role",)),
    "AWS::KinesisFirehose::DeliveryStream": (
        "firehose.amazonaws.com",
        ("ExtendedS3DestinationConfiguration.RoleARN", "S3DestinationConfiguration.RoleARN"),
    ),
    "AWS::ApiGateway::Method": ("apigateway.amazonaws.com", ("Integration.Credentials",)),
    # an imported OpenAPI body may name integration credentials
    "AWS::ApiGateway::RestApi": ("apigateway.amazonaws.com", ("Body", "BodyS3Location")),
    "AWS::S3::Bucket": ("s3.amazonaws.com", ("ReplicationConfiguration.Role",)),
}
# Intrinsic functions CloudFormation evaluates with the caller's credentials (Fn::GetAZs'
# documentation, "IAM permissions"), needed wherever a template is created or updated.
INTRINSICS = {
    "Fn::GetAZs": (
        "ec2:DescribeAccountAttributes",
        "ec2:DescribeAvailabilityZones",
        "ec2:DescribeSubnets",
    )
}


@lru_cache(maxsize=1)
def _schema_index() -> dict[str, str]:
    return json.loads((_SCHEMAS / "providers" / "us-east-1.json").read_text())


@cache
def handler_permissions(resource_type: str, handler: str) -> tuple[str, ...]:
    """The IAM actions the `handler` of `resource_type` needs (empty for an unknown type)."""
    key = _schema_index().get(resource_type)
    if key is None:
        return ()
    schema = json.loads((_SCHEMAS / "resources" / f"{key}.json").read_text())
    return tuple(schema.get("handlers", {}).get(handler, {}).get("permissions", []))


@dataclass(frozen=True)
class TemplateNeeds:
    """What of a template decides the permissions a stack operation needs."""

    resource_types: frozenset[str]
    intrinsics: frozenset[str]
    passed_to: frozenset[str] = frozenset()  # services the template's resources pass roles to


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


def _expanded(template: dict[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation creates it: with the SAM transform applied, if declared."""
    declared = template.get("Transform")
    if declared != SAM and not (isinstance(declared, list) and SAM in declared):
        return template
    session = boto3.session.Session(region_name="us-east-1")  # the partition is all it reads
    translator = Translator(None, Parser(), boto_session=session)
    # Managed policies only matter to the roles SAM would make; their names are not permissions.
    return dict(translator.translate(template, parameter_values={}, get_managed_policy_map=dict))


def _property(resource: dict[str, Any], path: str) -> Any:
    value: Any = resource.get("Properties")
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _passed_to(resources: list[dict[str, Any]]) -> set[str]:
    services = set()
    for resource in resources:
        service, paths = PASSES_ROLE.get(str(resource.get("Type")), ("", ()))
        if any(_property(resource, path) for path in paths):
            services.add(service)
    return services


def template_needs(template_body: str) -> TemplateNeeds:
    """The resource types a template declares (expanded), its intrinsics, the roles it passes."""
    parsed, problems = decode_str(template_body)
    if problems or not isinstance(parsed, dict):
        raise ValueError(f"the template does not parse: {problems[:1]}")
    template = _expanded(parsed)
    resources = [r for r in (template.get("Resources") or {}).values() if isinstance(r, dict)]
    return TemplateNeeds(
        frozenset(str(r.get("Type")) for r in resources),
        frozenset(set(_keys(template)) & set(INTRINSICS)),
        frozenset(_passed_to(resources)),
    )


def _grantable(resource_type: str, handlers: tuple[str, ...]) -> tuple[set[str], bool]:
    """The IAM actions the handlers of a known type need, `iam:PassRole` aside; whether the type
    passes roles in a way `PASSES_ROLE` does not know."""
    permissions = {p for handler in handlers for p in handler_permissions(resource_type, handler)}
    unknown_passing = "iam:PassRole" in permissions and resource_type not in PASSES_ROLE
    actions = {a for a in permissions - {"iam:PassRole"} if IAM_ACTION.fullmatch(a)}
    return actions, unknown_passing


def stack_actions(operation: str, needs: TemplateNeeds) -> tuple[set[str], set[str]]:
    """The actions `operation` needs for a template's resources (`iam:PassRole` aside: see
    `roles_passed`); the types no schema knows, or that pass roles in a way not known here."""
    handlers = HANDLERS.get(operation, ())
    actions: set[str] = set()
    unknown = {t for t in needs.resource_types if t not in _schema_index()}
    for resource_type in needs.resource_types - unknown:
        grantable, unknown_passing = _grantable(resource_type, handlers)
        actions |= grantable
        if unknown_passing:
            unknown.add(resource_type)
    if "create" in handlers:
        for function in needs.intrinsics:
            actions.update(INTRINSICS[function])
    return actions, unknown


def roles_passed(operation: str, needs: TemplateNeeds) -> frozenset[str]:
    """The services `operation` passes the template's roles to (when it creates or updates)."""
    changes = {"create", "update"} & set(HANDLERS.get(operation, ()))
    return needs.passed_to if changes else frozenset()
