"""AWS::ApiGateway::Deployment and AWS::ApiGateway::Stage through the API Gateway API.

AWS behaviour restored: a deployment snapshots the API (and, given a StageName, makes that stage);
a Stage names a deployment, with its description, variables, tracing, method settings and tags,
and a change updates it in place (pointing it at a new deployment is how an API is redeployed).
Deleting the stack deletes the stage, then the deployment. moto 5.2.5 has no model for
AWS::ApiGateway::Stage (skipped: the API had no stage, and `Ref Stage` failed) and deletes no
deployment.
"""

from __future__ import annotations

from typing import Any

from ..registry import Context, Created, ResourceType, absent_ok
from .apigateway import GONE, api_of, changed_patches, delete_child, patch, send_patches


class Deployment(ResourceType):
    type_name = "AWS::ApiGateway::Deployment"
    attribute_names = frozenset({"DeploymentId"})

    def replaces(self, before: dict[str, Any], after: dict[str, Any]) -> bool:
        return before != after  # a deployment is a snapshot: a new one is made

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        request = {"restApiId": properties["RestApiId"]}
        for key, parameter in (
            ("StageName", "stageName"),
            ("StageDescription", "stageDescription"),
            ("Description", "description"),
        ):
            if isinstance(properties.get(key), str):
                request[parameter] = properties[key]
        deployment = ctx.client("apigateway").create_deployment(**request)
        ids = {"api": properties["RestApiId"], "stage": properties.get("StageName") or ""}
        return Created(deployment["id"], properties, {"DeploymentId": deployment["id"]}, ids)

    def delete(self, ctx: Context, model: Created) -> None:
        apigateway, api = ctx.client("apigateway"), api_of(model)
        if model.ids["stage"]:  # the stage it made goes with it
            absent_ok(
                lambda: apigateway.delete_stage(restApiId=api, stageName=model.ids["stage"]), GONE
            )
        absent_ok(
            lambda: apigateway.delete_deployment(
                restApiId=api, deploymentId=model.physical_resource_id
            ),
            GONE,
        )


def _method_settings(settings: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Patch operations for a stage's MethodSettings (path /{resource path}/{method}/{setting})."""
    names = {
        "ThrottlingBurstLimit": "throttling/burstLimit",
        "ThrottlingRateLimit": "throttling/rateLimit",
        "MetricsEnabled": "metrics/enabled",
        "LoggingLevel": "logging/loglevel",
        "DataTraceEnabled": "logging/dataTrace",
        "CachingEnabled": "caching/enabled",
    }
    operations = []
    for setting in settings:
        path = setting.get("ResourcePath", "/*").replace("/", "~1")
        method = setting.get("HttpMethod", "*")
        for key, name in names.items():
            if key in setting:
                operations.append(patch(f"/{path}/{method}/{name}", setting[key]))
    return operations


class Stage(ResourceType):
    type_name = "AWS::ApiGateway::Stage"
    name_property = "StageName"
    replacing = frozenset({"RestApiId"})
    _PATHS = {
        "DeploymentId": "/deploymentId",
        "Description": "/description",
        "TracingEnabled": "/tracingEnabled",
    }

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        apigateway = ctx.client("apigateway")
        request: dict[str, Any] = {
            "restApiId": properties["RestApiId"],
            "stageName": name,
            "deploymentId": properties["DeploymentId"],
        }
        if "Description" in properties:
            request["description"] = properties["Description"]
        if "Variables" in properties:
            request["variables"] = properties["Variables"]
        if tags := {t["Key"]: t["Value"] for t in properties.get("Tags") or []}:
            request["tags"] = tags
        apigateway.create_stage(**request)
        stage = Created(name, properties, ids={"api": properties["RestApiId"]})
        if operations := _method_settings(properties.get("MethodSettings") or []):
            apigateway.update_stage(
                restApiId=properties["RestApiId"], stageName=name, patchOperations=operations
            )
        return stage

    def update(self, ctx: Context, model: Created, properties: dict[str, Any]) -> Created:
        operations = changed_patches(model.properties, properties, self._PATHS)
        old, new = model.properties.get("Variables") or {}, properties.get("Variables") or {}
        operations += [patch(f"/variables/{k}", v) for k, v in new.items() if old.get(k) != v]
        operations += [{"op": "remove", "path": f"/variables/{k}"} for k in old if k not in new]
        operations += _method_settings(properties.get("MethodSettings") or [])
        send_patches(ctx, model, "update_stage", "stageName", operations)
        model.properties = properties
        return model

    def delete(self, ctx: Context, model: Created) -> None:
        delete_child(ctx, model, "delete_stage", "stageName")
