"""Small helpers several integration test modules share."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def poll(condition: Callable[[], T | None], timeout: float, what: str, interval: float = 0.2) -> T:
    """Return the first truthy value of `condition`, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def zipped(files: dict[str, str] | dict[str, bytes] | dict[str, str | bytes]) -> bytes:
    """A zip archive holding `files` (name → text or bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def unzipped(data: bytes) -> dict[str, bytes]:
    """Every file of a zip archive, by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def trust_policy(service: str) -> str:
    """An IAM trust policy (JSON) that lets `service` (e.g. lambda.amazonaws.com) assume a role."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})
