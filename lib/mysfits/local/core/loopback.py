"""boto3 clients through which the data plane calls the local cloud's own API.

Going through the API (rather than moto's backends) means every fidelity fix applies to what
builds and pipelines do. One client per service and region, made once and owned by one local
cloud: clients are thread-safe, creating them is not cheap, and each gets its own session
because the default session is not safe to share between threads while clients are being created.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3

# The local cloud ignores credentials; these are placeholders, not secrets.
_CREDENTIALS = {
    "aws_access_key_id": "mysfits-local-data-plane",
    "aws_secret_access_key": "mysfits-local-data-plane",
}


class LoopbackClients:
    """The cached clients of the local cloud at `endpoint_url`."""

    def __init__(self, endpoint_url: str):
        self.endpoint_url = endpoint_url
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str) -> Any:
        """A boto3 client for `service` in `region`."""
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = boto3.session.Session().client(
                    service, endpoint_url=self.endpoint_url, region_name=region, **_CREDENTIALS
                )
            return self._clients[key]
