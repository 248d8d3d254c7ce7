"""Every deployed stage served on its own loopback port, from one event loop thread.

Endpoint kind `apigateway`, name `{restApiId}/{stage}`, AWS URL
`https://{restApiId}.execute-api.{region}.amazonaws.com/{stage}`, local URL
`http://127.0.0.1:{port}/{stage}` (the stage stays in the path, as on AWS). A stage that appears
is served at the next refresh; one deleted (or whose API is deleted) stops being served and its
port closes; a reset or stop closes them all. VPC links leave PENDING on the heartbeat.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from moto.apigateway.models import apigateway_backends

from ..client import LOOPBACK_HOST
from ..core.endpoints import Endpoint, EndpointRegistry
from ..core.heartbeat import BaseReconciler
from .deployments import Integration
from .gatewayresponses import GatewayError
from .httpserver import Listening, serve
from .patches import settle_vpc_link
from .pipeline import Plane, StageApp, StageName

KIND = "apigateway"
_LOOPBACK_NAMES = {"127.0.0.1", "localhost"}


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def aws_url(name: StageName) -> str:
    return f"https://{name.api_id}.execute-api.{name.region}.amazonaws.com/{name.stage}"


def endpoint_name(name: StageName) -> str:
    return f"{name.api_id}/{name.stage}"


def deployed_stages() -> Iterator[StageName]:
    """Every stage with a deployment, in every account and region."""
    for account, regions in list(apigateway_backends.items()):
        for region, backend in list(regions.items()):
            for api in list(backend.apis.values()):
                for stage_name, stage in list(api.stages.items()):
                    if stage.deployment_id:
                        yield StageName(account, region, api.id, stage_name)


def vpc_links() -> Iterator[Any]:
    for regions in list(apigateway_backends.values()):
        for backend in list(regions.values()):
            yield from list(backend.vpc_links.values())


class Targets:
    """Where an HTTP integration's connection goes on this machine."""

    def __init__(self, registry: EndpointRegistry, privatelink: Callable[[str, int], Any]):
        self._registry = registry
        self._privatelink = privatelink

    def __call__(self, integration: Integration, host: str, port: int) -> tuple[str, int]:
        if integration.connection_type == "VPC_LINK":
            return self._through_link(integration, port)
        if host in _LOOPBACK_NAMES:
            return host, port
        wanted = host if port in (80, 443) else f"{host}:{port}"
        for endpoint in self._registry.listing():
            if urlsplit(endpoint["aws_url"]).netloc.lower() == wanted.lower():
                local = urlsplit(endpoint["local_url"])
                return local.hostname or LOOPBACK_HOST, int(local.port or 80)
        raise GatewayError("INTEGRATION_FAILURE")  # the local cloud reaches no internet

    def _through_link(self, integration: Integration, port: int) -> tuple[str, int]:
        link = self._link(integration.connection_id or "")
        if link is None or link.status != "AVAILABLE" or not link.target_arns:
            raise GatewayError("INTEGRATION_FAILURE")
        try:
            host, link_port = self._privatelink(link.target_arns[0], port)
            return str(host), int(link_port)
        except LookupError:
            raise GatewayError("INTEGRATION_FAILURE") from None

    @staticmethod
    def _link(link_id: str) -> Any:
        for link in vpc_links():
            if link.id == link_id:
                settle_vpc_link(link, time.monotonic())
                return link
        return None


class StageServers(BaseReconciler):
    """Serves each deployed stage; keeps the endpoint registry in step."""

    name = "apigateway"

    def __init__(self, registry: EndpointRegistry, make_plane: Callable[[], Plane]):
        self._registry = registry
        self._loop = _new_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="apigateway-stages", daemon=True
        )
        self._thread.start()
        self._plane = make_plane()
        self._lock = threading.RLock()
        self._served: dict[StageName, Listening] = {}

    @property
    def plane(self) -> Plane:
        return self._plane

    def tick(self) -> None:
        now = time.monotonic()
        for link in vpc_links():
            settle_vpc_link(link, now)

    def refresh(self) -> None:
        wanted = set(deployed_stages())
        with self._lock:
            for name in set(self._served) - wanted:
                self._stop(name)
            for name in wanted - set(self._served):
                self._start(name)

    def _start(self, name: StageName) -> None:
        app = StageApp(name, self._plane)
        future = asyncio.run_coroutine_threadsafe(serve(app), self._loop)
        listening = future.result(timeout=10)
        self._served[name] = listening

        def stop() -> None:
            asyncio.run_coroutine_threadsafe(listening.close(), self._loop).result(10)

        local = f"http://{LOOPBACK_HOST}:{listening.port}/{name.stage}"
        self._registry.add(Endpoint(KIND, endpoint_name(name), aws_url(name), local, stop))

    def _stop(self, name: StageName) -> None:
        self._served.pop(name, None)
        self._registry.close(KIND, endpoint_name(name))

    def reset(self) -> None:
        with self._lock:
            for name in list(self._served):
                self._stop(name)

    def close(self) -> None:
        self.reset()
        self._loop.call_soon_threadsafe(self._plane.pool.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
