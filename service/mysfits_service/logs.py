"""Process-wide logging setup: plain lines on stdout for CloudWatch Logs."""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Send every log record, access lines included, to stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # botocore logs every retry and credential lookup at INFO; keep the stream to our lines.
    logging.getLogger("botocore").setLevel(logging.WARNING)
