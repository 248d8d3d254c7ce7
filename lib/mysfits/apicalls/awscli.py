"""The `aws` CLI command equivalent to a recorded call, so a learner can redo it by hand."""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from botocore import xform_name
from botocore.model import OperationModel, Shape

# boto3's service name → the CLI's command, where they differ (s3 is the high-level `aws s3`).
CLI_SERVICE = {"s3": "s3api"}
_PLAIN = re.compile(r"[A-Za-z0-9_./:@+*-]*\Z")  # safe inside CLI shorthand without quoting


def cli_name(name: str) -> str:
    """`PutBucketPolicy` → `put-bucket-policy`, `ListObjectsV2` → `list-objects-v2`."""
    return xform_name(name, "-")


def _plain(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and bool(_PLAIN.match(_scalar(value)))


def _scalar(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _flat(value: dict[str, Any]) -> str | None:
    """`Key=a,Value=b` for a structure of plain scalars."""
    if value and all(_plain(k) and _plain(v) for k, v in value.items()):
        return ",".join(f"{k}={_scalar(v)}" for k, v in value.items())
    return None


def shorthand(value: Any) -> str | None:
    """The CLI shorthand for a flat structure or a list of them (`Key=a,Value=b Key=c,Value=d`).

    None where shorthand cannot say it safely (nesting, or characters it would misread).
    """
    if isinstance(value, dict):
        return _flat(value)
    if isinstance(value, list) and value:
        return _list(value)
    return None


def _list(values: list[Any]) -> str | None:
    """`a b c` for plain scalars, `K=a,V=b K=c,V=d` for flat structures."""
    if all(_plain(v) for v in values):
        return " ".join(_scalar(v) for v in values)
    parts = [_flat(v) if isinstance(v, dict) else None for v in values]
    return None if None in parts else " ".join(str(p) for p in parts)


def _blob_argument(name: str, operation: OperationModel, params: dict[str, Any]) -> str:
    if (
        operation.input_shape is not None
        and operation.input_shape.serialization.get("payload") == name
    ):
        # A streaming body is a path to the file to upload, not fileb://.
        return shlex.quote(str(params.get("Key") or "body"))
    return f"fileb://{cli_name(name)}.bin"


def _argument(
    name: str, value: Any, shape: Shape | None, operation: OperationModel, params: dict[str, Any]
) -> str:
    option = f"--{cli_name(name)}"
    kind = shape.type_name if shape is not None else ""
    if kind == "blob":
        blob = _blob_argument(name, operation, params)
        return f"{option} {blob}"
    if isinstance(value, bool):
        return option if value else f"--no-{cli_name(name)}"
    if isinstance(value, (dict, list)):
        said = shorthand(value)
        if said is None:
            said = shlex.quote(json.dumps(value, separators=(",", ":")))
        return f"{option} {said}"
    return f"{option} {shlex.quote(_scalar(value))}"


def command(
    service: str,
    operation: OperationModel,
    params: dict[str, Any],
    files: dict[str, str] | None = None,
    whole_request: str | None = None,
    signed: bool = True,
) -> str:
    """`aws s3api put-bucket-policy --bucket b --policy file://bucket-policy.json`.

    `files` names the parameters sent as documents (shown beside the table), `whole_request`
    the document given with `--cli-input-json` instead of one option per parameter.
    """
    words = ["aws", CLI_SERVICE.get(service, service), cli_name(operation.name)]
    if whole_request:
        words.append(f"--cli-input-json file://{whole_request}")
    else:
        members = operation.input_shape.members if operation.input_shape is not None else {}
        for name, value in params.items():
            if files and name in files:
                words.append(f"--{cli_name(name)} file://{files[name]}")
            else:
                words.append(_argument(name, value, members.get(name), operation, params))
    if not signed:
        words.append("--no-sign-request")
    return " ".join(words)
