"""boto3 clients through which the data plane calls the local cloud's own API.

Going through the API (rather than moto's backends) means every fidelity fix applies to what
builds and pipelines do. One client per endpoint, service and region, made once: clients are
thread-safe, creating them is not cheap, and each gets its own session because the default
session is not safe to share between threads while clients are being created.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3

# The local cloud ignores credentials; these are placeholders, not secrets.
_CREDENTIALS = {"aws_access_key_id": "mysfits-local-data-plane", "aws_secret_access_key": "mysfits-local-data-plane"}
_clients: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()


def loopback_client(endpoint_url: str, service: str, region: str) -> Any:
    """A boto3 client for `service` in `region` of the local cloud at `endpoint_url`."""
    key = (endpoint_url, service, region)
    with _lock:
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(service, endpoint_url=endpoint_url, region_name=region,
                                                           **_CREDENTIALS)
        return _clients[key]
