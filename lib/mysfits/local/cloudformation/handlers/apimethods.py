"""AWS::ApiGateway::Method through the API Gateway API: the method, its integration, the
integration's responses and the method's responses.

AWS behaviour restored: a method is created with everything its template gives: authorization,
request parameters, models and validator; an integration of any type (AWS, HTTP, HTTP_PROXY,
MOCK, ...) with its credentials, mapping templates, passthrough behaviour and connection; each
integration response (selection pattern, parameters, templates) and method response. A change
updates the method in place, deleting it goes. moto 5.2.5 creates the method with its
authorization type only, an integration with type, URI and method only (a MOCK integration,
which has no URI, fails with an internal error) and nothing else; the stack never deletes it.
"""

from __future__ import annotations

from typing import Any

from ..registry import Context, Created, ResourceType, absent_ok
from ..shapes import request
from .apigateway import GONE


def api_parameters(client: Any, operation: str, properties: dict[str, Any]) -> dict[str, Any]:
    """The template's properties as `operation`'s parameters: CloudFormation names them in
    PascalCase where the API uses camelCase; what the operation does not take is left out."""
    members = client.meta.service_model.operation_model(operation).input_shape.members
    named = {key[:1].lower() + key[1:]: value for key, value in properties.items()}
    return request(client, operation, {key: v for key, v in named.items() if key in members})


class Method(ResourceType):
    type_name = "AWS::ApiGateway::Method"
    replacing = frozenset({"RestApiId", "ResourceId", "HttpMethod"})

    def create(self, ctx: Context, name: str, properties: dict[str, Any]) -> Created:
        apigateway = ctx.client("apigateway")
        where = {
            "restApiId": properties["RestApiId"],
            "resourceId": properties["ResourceId"],
            "httpMethod": properties["HttpMethod"],
        }
        method = {"AuthorizationType": "NONE", **properties}
        apigateway.put_method(**{**api_parameters(apigateway, "PutMethod", method), **where})
        for response in properties.get("MethodResponses") or []:
            apigateway.put_method_response(
                **api_parameters(apigateway, "PutMethodResponse", response), **where
            )
        integration = properties.get("Integration")
        if integration:
            apigateway.put_integration(
                **api_parameters(apigateway, "PutIntegration", integration), **where
            )
            for response in integration.get("IntegrationResponses") or []:
                apigateway.put_integration_response(
                    **api_parameters(apigateway, "PutIntegrationResponse", response), **where
                )
        physical_id = "-".join(where.values())
        return Created(physical_id, properties, ids={"api": where["restApiId"], **where})

    def update(self, ctx: Context, model: Created, properties: dict[str, Any]) -> Created:
        # Replaced under the same identity: PutMethod refuses a method that exists.
        self.delete(ctx, model)
        return self.create(ctx, model.physical_resource_id, properties)

    def delete(self, ctx: Context, model: Created) -> None:
        apigateway = ctx.client("apigateway")
        where = {key: model.ids[key] for key in ("restApiId", "resourceId", "httpMethod")}
        absent_ok(lambda: apigateway.delete_method(**where), GONE)
