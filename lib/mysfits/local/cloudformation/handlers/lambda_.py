"""AWS::Lambda::Permission through the Lambda API (moto creates functions as AWS does).

AWS behaviour restored: a permission is a statement of the function's resource policy, with its
own statement id, that GetPolicy shows and that goes when the stack deletes it; any change
replaces it. moto 5.2.5 adds the statement without an id and never removes it.
"""

from __future__ import annotations

from typing import Any

from ..registry import Context, Created, ResourceType, absent_ok

# Template property -> AddPermission parameter (the same names).
_OPTIONAL = (
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "PrincipalOrgID",
    "FunctionUrlAuthType",
)


class Permission(ResourceType):
    type_name = "AWS::Lambda::Permission"

    def replaces(self, before: dict[str, Any], after: dict[str, Any]) -> bool:
        return True  # every property of a permission needs a new statement

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        statement_id = name[-100:]  # AddPermission's limit
        request = {
            "FunctionName": properties["FunctionName"],
            "StatementId": statement_id,
            "Action": properties["Action"],
            "Principal": properties["Principal"],
            **{key: properties[key] for key in _OPTIONAL if key in properties},
        }
        ctx.client("lambda").add_permission(**request)
        return Created(
            statement_id,
            properties,
            ids={"function": properties["FunctionName"], "sid": statement_id},
        )

    def delete(self, ctx: Context, model: Created) -> None:
        lambda_ = ctx.client("lambda")
        absent_ok(
            lambda: lambda_.remove_permission(
                FunctionName=model.ids["function"], StatementId=model.ids["sid"]
            ),
            "ResourceNotFoundException",
        )
