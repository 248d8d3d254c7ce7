"""Cognito user pools: confirmation codes that are sent and checked, AWS's password messages and
auth-flow rules, tokens signed with each pool's own keys, and the JWKS that verifies them.

`service` holds the added behaviour (codes, mailbox, keys) over `state`; `patches` wires it into
moto; `tokens`, `passwords` and `keys` are the pure parts; `api` serves the JWKS and the
`/_mysfits/mail` control route that `mysfits local mail` and `local.client.mail` read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import patches
from .api import IdpEndpoints, JwksRoute, MailRoute, is_jwks_request
from .service import CognitoService

if TYPE_CHECKING:
    from ..server import LocalCloud


def register(cloud: LocalCloud) -> CognitoService:
    service = CognitoService(cloud.stores)
    patches.apply(cloud.patches, service)
    cloud.gateway.intercept("cognito-jwks", is_jwks_request, JwksRoute(service), first=True)
    cloud.gateway.control_route("GET", "/mail", MailRoute(service))
    cloud.heartbeat.register(IdpEndpoints(cloud.registry, cloud.endpoint_url))
    return service
