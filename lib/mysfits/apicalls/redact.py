"""What of a request may be kept and shown: secrets redacted, blobs and huge strings summarised."""

from __future__ import annotations

import os
import re
from datetime import date, datetime
from typing import Any

REDACTED = "<redacted>"
# Parameter names that hold credentials (SSECustomerKey is a customer's encryption key).
_SECRET_NAME = re.compile(
    r"secret|passw|token|credential|authori[sz]ation|private.?key|access.?key|customer.?key|"
    r"session|signature|api.?key|cookie",
    re.IGNORECASE,
)
# Pagination cursors end in "Token" too but are not secrets.
_NOT_SECRET = {"NextToken", "nextToken", "ContinuationToken", "StartAfter"}
# The shapes AWS uses for name/value lists: ECS and CodeBuild environment variables,
# CloudFormation parameters, tags. A secret-looking name hides its value.
_PAIRS = (
    ("name", "value"),
    ("Name", "Value"),
    ("ParameterKey", "ParameterValue"),
    ("Key", "Value"),
)
MAX_KEPT_CHARS = 65_536


def is_secret_name(name: str) -> bool:
    """Whether a parameter called `name` carries a credential (and must never be shown)."""
    return name not in _NOT_SECRET and bool(_SECRET_NAME.search(name))


def size_summary(size: int, unit: str = "bytes") -> str:
    """`<12,345 bytes>`: how a blob or a huge string is shown instead of its content."""
    return f"<{size:,} {unit}>"


def _blob_size(value: Any) -> int | None:
    """Bytes in a blob or file-like body (-1 when unknown); None for anything else."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    if not hasattr(value, "read"):
        return None
    try:
        if hasattr(value, "getbuffer"):
            return len(value.getbuffer())
        return os.fstat(value.fileno()).st_size
    except (AttributeError, OSError, ValueError):  # closed, or not a real file
        return -1


def _hidden_pair_value(item: dict[str, Any]) -> str | None:
    """The value key of a name/value pair whose name looks secret."""
    for name_key, value_key in _PAIRS:
        name = item.get(name_key)
        if isinstance(name, str) and value_key in item and is_secret_name(name):
            return value_key
    return None


def _redact_mapping(item: dict[str, Any]) -> dict[str, Any]:
    hidden = _hidden_pair_value(item)
    return {
        str(k): REDACTED if k == hidden or is_secret_name(str(k)) else redact(v)
        for k, v in item.items()
    }


def redact(value: Any) -> Any:
    """A JSON-safe copy of request parameters with every secret replaced by `<redacted>`.

    Secrets are found by name (a key, or the name in a name/value pair); bytes and streams
    become `<N bytes>`, strings longer than 64 KiB `<N chars>`, dates ISO strings.
    """
    if isinstance(value, dict):
        return _redact_mapping(value)
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return value if len(value) <= MAX_KEPT_CHARS else size_summary(len(value), "chars")
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _summary(value)


def _summary(value: Any) -> str:
    """How a value that is not plain data is shown: a date, a blob's size, or just its type."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    size = _blob_size(value)
    if size is None:  # an object we cannot see into: its type only, never its repr
        return f"<{type(value).__name__}>"
    return size_summary(size) if size >= 0 else "<stream>"
