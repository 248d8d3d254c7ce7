"""Compact JSON encoding for response bodies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response

JSON_MEDIA_TYPE = "application/json"

_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode(payload: Any) -> bytes:
    """Serialize ``payload`` to UTF-8 JSON bytes."""
    return _encoder.encode(payload).encode("utf-8")


def json_response(
    body: bytes, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """Wrap already-encoded JSON bytes in a response."""
    return Response(body, status_code=status_code, headers=headers, media_type=JSON_MEDIA_TYPE)
