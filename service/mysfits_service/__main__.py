"""Container entrypoint: ``python -m mysfits_service`` serves the API on ``$BIND_ADDRESS:$PORT``."""

from __future__ import annotations

import logging
import os
import sys

import uvicorn

from .app import create_app
from .config import ConfigError, read_bind_address, read_port
from .logs import configure_logging

log = logging.getLogger("mysfits_service")


def main() -> int:
    configure_logging()
    try:
        port = read_port(os.environ.get("PORT"))
        host = read_bind_address(os.environ.get("BIND_ADDRESS"))
        app = create_app()
    except (ConfigError, OSError, ValueError) as exc:
        log.error("cannot start: %s", exc)
        return 2
    log.info("serving on %s:%d", host, port)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,  # keep the handlers set up above
        access_log=False,  # AccessLogMiddleware writes one line per request instead
        server_header=False,
        # Longer than the load balancer's 60 s idle timeout, so the balancer
        # never reuses a connection the server has just closed.
        timeout_keep_alive=75,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
