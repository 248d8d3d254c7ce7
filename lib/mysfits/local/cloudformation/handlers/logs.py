"""AWS::Logs::LogGroup through the Logs API.

AWS behaviour restored: `Fn::GetAtt Group.Arn` ends in `:*` (`arn:aws:logs:<region>:<account>:
log-group:<name>:*`); RetentionInDays (a string when it comes from a parameter) is the number of
days DescribeLogGroups reports; changing it, or the tags, updates the group in place. moto 5.2.5
returns the ARN without `:*`, stores the retention as the string it was given, and replaces the
group on any change (the new one cannot be created: its name is taken).
"""

from __future__ import annotations

from typing import Any

from moto.utilities.utils import get_partition

from ..registry import Context, Created, ResourceType, absent_ok

_GONE = "ResourceNotFoundException"


def _tags(properties: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in properties.get("Tags") or []}


class LogGroup(ResourceType):
    type_name = "AWS::Logs::LogGroup"
    name_property = "LogGroupName"
    attribute_names = frozenset({"Arn"})
    replacing = frozenset({"LogGroupClass"})

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        request: dict[str, Any] = {"logGroupName": name}
        if tags := _tags(properties):
            request["tags"] = tags
        if properties.get("KmsKeyId"):
            request["kmsKeyId"] = properties["KmsKeyId"]
        ctx.client("logs").create_log_group(**request)
        self._retain(ctx, name, properties)
        partition = get_partition(ctx.region)
        arn = f"arn:{partition}:logs:{ctx.region}:{ctx.account_id}:log-group:{name}:*"
        return Created(name, properties, {"Arn": arn})

    def _retain(self, ctx: Context, name: str, properties: dict[str, Any]) -> None:
        logs, days = ctx.client("logs"), properties.get("RetentionInDays")
        if days is None:
            absent_ok(lambda: logs.delete_retention_policy(logGroupName=name), _GONE)
        else:
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(days))

    def update(self, ctx: Context, model: Created, properties: dict[str, Any]) -> Created:
        name, logs = model.physical_resource_id, ctx.client("logs")
        self._retain(ctx, name, properties)
        arn = model.attributes["Arn"].removesuffix(":*")
        old, new = _tags(model.properties), _tags(properties)
        if gone := [key for key in old if key not in new]:
            logs.untag_resource(resourceArn=arn, tagKeys=gone)
        if new:
            logs.tag_resource(resourceArn=arn, tags=new)
        model.properties = properties
        return model

    def delete(self, ctx: Context, model: Created) -> None:
        logs = ctx.client("logs")
        absent_ok(lambda: logs.delete_log_group(logGroupName=model.physical_resource_id), _GONE)
