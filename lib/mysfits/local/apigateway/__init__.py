"""API Gateway (REST APIs, v1): the import and deployment fixes, and every deployed stage served.

`openapi` reads an OpenAPI document as AWS imports it and `importer` creates it; `patches`
applies the control-plane fixes (import, connectionId, deployments, VPC links); `deployments`
keeps what each deployment serves; `stages` serves each stage on its own port through
`pipeline` (routing, throttling, the Cognito authorizer, validation, integrations) with
`httpserver` and `upstream` (`awsintegration`: AWS-service integrations, `validation`: request
bodies against their models); `gatewayresponses`, `templates`, `throttling`, `authorizers` and
`routing` are the pure parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..firehose.api import direct_put
from . import patches
from .awsintegration import AwsIntegration
from .deployments import DeploymentBook
from .pipeline import Plane
from .stages import StageServers, Targets
from .upstream import UpstreamPool

if TYPE_CHECKING:
    from ..server import LocalCloud


def register(cloud: LocalCloud) -> StageServers:
    book = DeploymentBook(cloud.stores)
    patches.apply(cloud.patches, book)
    elbv2 = cloud.services["elbv2"]
    cognito = cloud.services["cognito"]
    local = {("firehose", "PutRecord"): direct_put(cloud.services["firehose"])}

    def jwks(pool_id: str) -> dict[str, Any] | None:
        return cognito.jwks(pool_id)

    def plane() -> Plane:
        pool = UpstreamPool()
        return Plane(
            book=book,
            jwks=jwks,
            resolve=Targets(cloud.registry, elbv2.privatelink_address),
            pool=pool,
            extra={"AWS": AwsIntegration(cloud.endpoint_url, pool, local)},
        )

    servers = StageServers(cloud.registry, plane)
    cloud.heartbeat.register(servers)
    return servers
