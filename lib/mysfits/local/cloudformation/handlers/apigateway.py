"""API Gateway REST APIs, resources, models, validators and gateway responses, through the API.

AWS behaviour restored: a stack creates, updates in place and deletes each of these as the API
Gateway API does, so the API a template describes is the API that serves. moto 5.2.5 has no
CloudFormation model for AWS::ApiGateway::Model, RequestValidator or GatewayResponse (skipped),
ignores a RestApi's tags, and deletes none of them with the stack. Ref gives what AWS's Ref gives:
the REST API id, the resource id, the model's name, the validator id; `Fn::GetAtt Api.
RootResourceId` the id of `/`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..registry import Context, Created, ResourceType, absent_ok

GONE = "NotFoundException"


def api_of(model: Created) -> str:
    return model.ids["api"]


def patch(path: str, value: Any) -> dict[str, str]:
    """One `replace` patch operation, with the string value API Gateway's updates take."""
    text = str(value).lower() if isinstance(value, bool) else str(value)
    return {"op": "replace", "path": path, "value": text}


def changed_patches(
    before: dict[str, Any], after: dict[str, Any], paths: dict[str, str]
) -> list[dict[str, str]]:
    """Patch operations for the properties in `paths` (property -> patch path) that changed."""
    return [
        patch(path, after.get(key, ""))
        for key, path in paths.items()
        if before.get(key) != after.get(key)
    ]


def send_patches(
    ctx: Context, model: Created, action: str, key: str, operations: list[dict[str, str]]
) -> None:
    """Send the patch operations, if any, to `apigateway.<action>` for the model's API child."""
    if operations:
        update = getattr(ctx.client("apigateway"), action)
        update(
            restApiId=api_of(model), **{key: model.physical_resource_id}, patchOperations=operations
        )


def delete_child(ctx: Context, model: Created, action: str, key: str) -> None:
    """`apigateway.<action>` for the model's API child; one already gone is what was wanted."""
    delete = getattr(ctx.client("apigateway"), action)
    absent_ok(lambda: delete(restApiId=api_of(model), **{key: model.physical_resource_id}), GONE)


class RestApi(ResourceType):
    type_name = "AWS::ApiGateway::RestApi"
    attribute_names = frozenset({"RootResourceId", "RestApiId"})

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        apigateway = ctx.client("apigateway")
        request: dict[str, Any] = {"name": properties.get("Name", name)}
        if "Description" in properties:
            request["description"] = properties["Description"]
        if "EndpointConfiguration" in properties:
            request["endpointConfiguration"] = {
                "types": properties["EndpointConfiguration"].get("Types", ["EDGE"])
            }
        if tags := {t["Key"]: t["Value"] for t in properties.get("Tags") or []}:
            request["tags"] = tags
        api = apigateway.create_rest_api(**request)
        if "Body" in properties:
            apigateway.put_rest_api(
                restApiId=api["id"], mode="overwrite", body=json.dumps(properties["Body"])
            )
        resources = apigateway.get_resources(restApiId=api["id"])["items"]
        root = next(r["id"] for r in resources if r["path"] == "/")
        return Created(
            api["id"],
            properties,
            {"RootResourceId": root, "RestApiId": api["id"]},
            {"api": api["id"]},
        )

    def update(self, ctx: Context, model: Created, properties: dict[str, Any]) -> Created:
        apigateway = ctx.client("apigateway")
        operations = changed_patches(
            model.properties, properties, {"Name": "/name", "Description": "/description"}
        )
        if operations:
            apigateway.update_rest_api(restApiId=api_of(model), patchOperations=operations)
        if "Body" in properties and properties["Body"] != model.properties.get("Body"):
            apigateway.put_rest_api(
                restApiId=api_of(model), mode="overwrite", body=json.dumps(properties["Body"])
            )
        model.properties = properties
        return model

    def delete(self, ctx: Context, model: Created) -> None:
        apigateway = ctx.client("apigateway")
        absent_ok(lambda: apigateway.delete_rest_api(restApiId=api_of(model)), GONE)


class Resource(ResourceType):
    type_name = "AWS::ApiGateway::Resource"
    attribute_names = frozenset({"ResourceId"})
    replacing = frozenset({"RestApiId"})

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        created = ctx.client("apigateway").create_resource(
            restApiId=properties["RestApiId"],
            parentId=properties["ParentId"],
            pathPart=properties["PathPart"],
        )
        return Created(
            created["id"],
            properties,
            {"ResourceId": created["id"]},
            {"api": properties["RestApiId"]},
        )

    def update(self, ctx: Context, model: Created, properties: dict[str, Any]) -> Created:
        operations = changed_patches(
            model.properties, properties, {"ParentId": "/parentId", "PathPart": "/pathPart"}
        )
        send_patches(ctx, model, "update_resource", "resourceId", operations)
        model.properties = properties
        return model

    def delete(self, ctx: Context, model: Created) -> None:
        delete_child(ctx, model, "delete_resource", "resourceId")


class Model(ResourceType):
    type_name = "AWS::ApiGateway::Model"
    name_property = "Name"
    replacing = frozenset({"RestApiId", "ContentType"})

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        # A model's name is alphanumeric: a generated one loses its hyphens.
        name = properties.get("Name") or re.sub(r"[^A-Za-z0-9]", "", name)
        request = {
            "restApiId": properties["RestApiId"],
            "name": name,
            "contentType": properties.get("ContentType", "application/json"),
            "schema": _schema(properties),
        }
        if "Description" in properties:
            request["description"] = properties["Description"]
        ctx.client("apigateway").create_model(**request)
        return Created(name, properties, ids={"api": properties["RestApiId"]})

    def update(self, ctx: Context, model: Created, properties: dict[str, Any]) -> Created:
        operations = changed_patches(model.properties, properties, {"Description": "/description"})
        if _schema(properties) != _schema(model.properties):
            operations.append(patch("/schema", _schema(properties)))
        send_patches(ctx, model, "update_model", "modelName", operations)
        model.properties = properties
        return model

    def delete(self, ctx: Context, model: Created) -> None:
        delete_child(ctx, model, "delete_model", "modelName")


def _schema(properties: dict[str, Any]) -> str:
    schema = properties.get("Schema", {})
    return schema if isinstance(schema, str) else json.dumps(schema)


class RequestValidator(ResourceType):
    type_name = "AWS::ApiGateway::RequestValidator"
    attribute_names = frozenset({"RequestValidatorId"})
    replacing = frozenset({"RestApiId"})
    _PATHS = {
        "Name": "/name",
        "ValidateRequestBody": "/validateRequestBody",
        "ValidateRequestParameters": "/validateRequestParameters",
    }

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        created = ctx.client("apigateway").create_request_validator(
            restApiId=properties["RestApiId"],
            name=properties.get("Name", name),
            validateRequestBody=_flag(properties.get("ValidateRequestBody")),
            validateRequestParameters=_flag(properties.get("ValidateRequestParameters")),
        )
        return Created(
            created["id"],
            properties,
            {"RequestValidatorId": created["id"]},
            {"api": properties["RestApiId"]},
        )

    def update(self, ctx: Context, model: Created, properties: dict[str, Any]) -> Created:
        operations = changed_patches(model.properties, properties, self._PATHS)
        send_patches(ctx, model, "update_request_validator", "requestValidatorId", operations)
        model.properties = properties
        return model

    def delete(self, ctx: Context, model: Created) -> None:
        delete_child(ctx, model, "delete_request_validator", "requestValidatorId")


def _flag(value: Any) -> bool:
    return str(value).lower() == "true"


class GatewayResponse(ResourceType):
    type_name = "AWS::ApiGateway::GatewayResponse"
    replacing = frozenset({"RestApiId", "ResponseType"})

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        request: dict[str, Any] = {
            "restApiId": properties["RestApiId"],
            "responseType": properties["ResponseType"],
        }
        for key, parameter in (
            ("StatusCode", "statusCode"),
            ("ResponseParameters", "responseParameters"),
            ("ResponseTemplates", "responseTemplates"),
        ):
            if key in properties:
                request[parameter] = properties[key]
        ctx.client("apigateway").put_gateway_response(**request)
        return Created(
            f"{properties['RestApiId']}-{properties['ResponseType']}",
            properties,
            ids={"api": properties["RestApiId"], "type": properties["ResponseType"]},
        )

    def update(self, ctx: Context, model: Created, properties: dict[str, Any]) -> Created:
        return self.create(ctx, model.physical_resource_id, properties)  # a put replaces it

    def delete(self, ctx: Context, model: Created) -> None:
        apigateway = ctx.client("apigateway")
        absent_ok(
            lambda: apigateway.delete_gateway_response(
                restApiId=api_of(model), responseType=model.ids["type"]
            ),
            GONE,
        )
