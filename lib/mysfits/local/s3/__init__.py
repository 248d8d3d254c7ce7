"""S3: Block Public Access and policy fixes in front of moto, and the website endpoints.

`api` restores AWS's request-level behaviours, `access` and `policy` decide who may read what,
`website` serves each bucket's website endpoint on its own loopback port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.endpoints import EndpointRegistry
from ..core.heartbeat import BaseReconciler
from .api import S3ApiFixes, is_s3_request
from .website import reconcile

if TYPE_CHECKING:
    from ..server import LocalCloud


class WebsiteEndpoints(BaseReconciler):
    """Serves every bucket that has a website configuration, and stops serving the rest."""

    name = "s3-websites"

    def __init__(self, registry: EndpointRegistry):
        self._registry = registry

    def refresh(self) -> None:
        reconcile(self._registry)


def register(cloud: LocalCloud) -> WebsiteEndpoints:
    cloud.gateway.intercept("s3", is_s3_request, S3ApiFixes(on_website_change=cloud.refresh))
    websites = WebsiteEndpoints(cloud.registry)
    cloud.heartbeat.register(websites)
    return websites
