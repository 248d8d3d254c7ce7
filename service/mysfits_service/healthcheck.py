"""The image's HEALTHCHECK: ``python -m mysfits_service.healthcheck`` exits 0 when the API answers.

It asks the health route over the address the server listens on (loopback when it listens
on every interface), so it needs neither curl nor anything else the slim image lacks.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping

from .config import ConfigError, read_bind_address, read_port

_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def health_url(env: Mapping[str, str] = os.environ) -> str:
    """Where the running server's health route is, from the same variables the server reads."""
    host = read_bind_address(env.get("BIND_ADDRESS"))
    host = _WILDCARDS.get(host, host)
    port = read_port(env.get("PORT"))
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def main(timeout: float = 3.0) -> int:
    try:
        url = health_url()
        with urllib.request.urlopen(url, timeout=timeout) as response:
            healthy = response.status == 200
    except (ConfigError, OSError, urllib.error.URLError) as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
