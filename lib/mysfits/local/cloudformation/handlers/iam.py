"""AWS::IAM::Role: moto creates and deletes the role; its inline policies and updates go
through the IAM API.

AWS behaviour restored: GetRolePolicy gives a stack role's inline policy as the JSON document it
is (moto 5.2.5 stores the template's mapping and answers its Python repr, which no client can
parse); changing a role's trust policy, description, session duration, inline Policies, managed
policies or tags updates the role in place (a new RoleName or Path replaces it). moto 5.2.5
applies only a new Description, so a policy that now names another table or stream keeps
granting the old one.
"""

from __future__ import annotations

import json
from typing import Any

from moto.iam.models import Role as MotoRole

from ..registry import Context, ResourceType


def _document(policy: Any) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)


class Role(ResourceType):
    type_name = "AWS::IAM::Role"
    name_property = "RoleName"
    replacing = frozenset({"Path"})
    moto_class = MotoRole

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Any:
        # moto's create makes the role as AWS does; `name` is the RoleName or one generated
        role = MotoRole.create_from_cloudformation_json(
            name, {"Properties": properties}, ctx.account_id, ctx.region
        )
        self._inline_policies(ctx.client("iam"), role.name, properties.get("Policies") or [])
        return role

    def update(self, ctx: Context, model: Any, properties: dict[str, Any]) -> Any:
        iam, name = ctx.client("iam"), model.name
        iam.update_assume_role_policy(
            RoleName=name, PolicyDocument=_document(properties["AssumeRolePolicyDocument"])
        )
        iam.update_role(
            RoleName=name,
            Description=properties.get("Description", ""),
            MaxSessionDuration=int(properties.get("MaxSessionDuration", 3600)),
        )
        self._inline_policies(iam, name, properties.get("Policies") or [])
        self._managed_policies(iam, name, properties.get("ManagedPolicyArns") or [])
        self._tags(iam, name, properties.get("Tags") or [])
        return model

    def _inline_policies(self, iam: Any, role: str, policies: list[dict[str, Any]]) -> None:
        wanted = {p["PolicyName"]: _document(p["PolicyDocument"]) for p in policies}
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            if name not in wanted:
                iam.delete_role_policy(RoleName=role, PolicyName=name)
        for name, document in wanted.items():
            iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=document)

    def _managed_policies(self, iam: Any, role: str, arns: list[str]) -> None:
        attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
        for policy in attached:
            if policy["PolicyArn"] not in arns:
                iam.detach_role_policy(RoleName=role, PolicyArn=policy["PolicyArn"])
        for arn in set(arns) - {p["PolicyArn"] for p in attached}:
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)

    def _tags(self, iam: Any, role: str, tags: list[dict[str, str]]) -> None:
        keys = {tag["Key"] for tag in tags}
        old = [t["Key"] for t in iam.list_role_tags(RoleName=role)["Tags"] if t["Key"] not in keys]
        if old:
            iam.untag_role(RoleName=role, TagKeys=old)
        if tags:
            iam.tag_role(RoleName=role, Tags=tags)
