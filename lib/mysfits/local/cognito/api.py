"""Cognito's HTTP routes beyond the JSON API: each pool's JWKS, and the local mailbox.

`IdpEndpoints` lists `https://cognito-idp.{region}.amazonaws.com` for every region with a pool
among the local cloud's endpoints, so `Workshop.url()` maps a JWKS URL to this cloud as it maps
every other AWS address.

AWS serves `GET https://cognito-idp.{region}.amazonaws.com/{poolId}/.well-known/jwks.json`
without credentials. moto has the route but only for that host name; on the local cloud's one
loopback address the request is path-style, so S3 took it ("NoSuchBucket"). The fix answers it
here with the pool's own keys (404 for a pool that does not exist).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs

from moto.cognitoidp.models import cognitoidp_backends

from ..core.endpoints import Endpoint, EndpointRegistry
from ..core.heartbeat import BaseReconciler
from ..core.wsgi import StartResponse, WsgiApp, respond_json
from .service import CognitoService

ENDPOINT_KIND = "cognito-idp"

# A pool id is `{region}_{id}`: the underscore is something no bucket name can contain.
JWKS_PATH = re.compile(r"^/(?P<pool>[a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+)/\.well-known/jwks\.json$")


def is_jwks_request(environ: dict[str, Any]) -> bool:
    return environ.get("REQUEST_METHOD") == "GET" and bool(
        JWKS_PATH.match(environ.get("PATH_INFO", ""))
    )


class JwksRoute:
    """Serves each pool's JWKS from the keys that sign its tokens."""

    def __init__(self, service: CognitoService):
        self._service = service

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse, moto: WsgiApp
    ) -> list[bytes]:
        match = JWKS_PATH.match(environ["PATH_INFO"])
        assert match is not None  # is_jwks_request matched it
        pool_id = match.group("pool")
        document = self._service.jwks(pool_id)
        if document is None:
            return respond_json(
                start_response, 404, {"message": f"User pool {pool_id} does not exist."}
            )
        return respond_json(start_response, 200, document)


class MailRoute:
    """`GET /_mysfits/mail[?to=ADDRESS]`: the messages pools have sent, oldest first."""

    def __init__(self, service: CognitoService):
        self._service = service

    def __call__(self, environ: dict[str, Any]) -> tuple[int, Any]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        to = query.get("to", [None])[0]
        return 200, self._service.mail(to)


def regions_with_pools() -> set[str]:
    return {
        region
        for regions in cognitoidp_backends.values()
        for region, backend in regions.items()
        if region != "global" and backend.user_pools
    }


class IdpEndpoints(BaseReconciler):
    """Lists the Cognito host of each region that has pools; all are this cloud's own address."""

    name = "cognito-idp"

    def __init__(self, registry: EndpointRegistry, endpoint_url: str):
        self._registry = registry
        self._endpoint_url = endpoint_url

    def refresh(self) -> None:
        wanted = regions_with_pools()
        for region in self._registry.names(ENDPOINT_KIND) - wanted:
            self._registry.close(ENDPOINT_KIND, region)
        for region in wanted - self._registry.names(ENDPOINT_KIND):
            self._registry.add(
                Endpoint(
                    ENDPOINT_KIND,
                    region,
                    f"https://cognito-idp.{region}.amazonaws.com",
                    self._endpoint_url,
                    stop=lambda: None,
                )
            )

    def close(self) -> None:
        for region in self._registry.names(ENDPOINT_KIND):
            self._registry.close(ENDPOINT_KIND, region)
