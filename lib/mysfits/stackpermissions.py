"""What CloudFormation needs from the caller to create, update and delete a template's resources.

Without a service role, CloudFormation acts with the caller's own credentials, so a learner who
creates the core stack needs every EC2 and IAM action its resources' handlers make. AWS publishes
those per resource type in the resource provider schemas (`handlers.<create|update|delete>.
permissions`); cfn-lint ships them, pinned with it, so they are read from there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import cfnlint
from cfnlint.decode import decode_str

_SCHEMAS = Path(cfnlint.__file__).parent / "data" / "schemas"
# Which handlers a stack operation runs: an update may add, change and remove resources.
HANDLERS = {
    "CreateStack": ("create",),
    "UpdateStack": ("create", "update", "delete"),
    "DeleteStack": ("delete",),
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


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


def template_needs(template_body: str) -> TemplateNeeds:
    """The resource types a template declares and the intrinsic functions it uses."""
    template, problems = decode_str(template_body)
    if problems or not isinstance(template, dict):
        raise ValueError(f"the template does not parse: {problems[:1]}")
    resources = (template.get("Resources") or {}).values()
    types = {str(r.get("Type")) for r in resources if isinstance(r, dict)}
    return TemplateNeeds(frozenset(types), frozenset(set(_keys(template)) & set(INTRINSICS)))


def stack_actions(operation: str, needs: TemplateNeeds) -> tuple[set[str], set[str]]:
    """The actions `operation` needs for a template's resources; the types no schema knows."""
    actions: set[str] = set()
    unknown = {t for t in needs.resource_types if t not in _schema_index()}
    for resource_type in needs.resource_types - unknown:
        for handler in HANDLERS.get(operation, ()):
            actions.update(handler_permissions(resource_type, handler))
    if "create" in HANDLERS.get(operation, ()):
        for function in needs.intrinsics:
            actions.update(INTRINSICS[function])
    return actions, unknown
