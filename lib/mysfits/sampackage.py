"""What `sam package` does: zip each function's code, upload it, point the template at it.

The zip depends on the files' names and contents only (sorted entries, a fixed timestamp and
mode), so the same code gives the same key, and deploying unchanged code changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from samtranslator.yaml_helper import yaml_parse

from .idioms import absent_is_none
from .workshop import Workshop

_SKIPPED = ("__pycache__", ".pytest_cache")
_SKIPPED_SUFFIXES = (".pyc", ".pyo")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold
_FUNCTION = "AWS::Serverless::Function"


@dataclass(frozen=True)
class Artifact:
    """One function's code, zipped and uploaded."""

    function: str  # the template's logical id
    source: str  # the folder, relative to the template
    bucket: str
    key: str
    size: int
    uploaded: bool  # False when an identical zip was already there

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class PackagedTemplate:
    """The template with every local CodeUri replaced by its uploaded zip (JSON text)."""

    body: str
    artifacts: tuple[Artifact, ...]


def zip_folder(folder: Path) -> bytes:
    """The folder's files as a deterministic zip (deflated, sorted, fixed time, mode 0644)."""
    files = sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not set(path.relative_to(folder).parts) & set(_SKIPPED)
        and path.suffix not in _SKIPPED_SUFFIXES
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            entry = zipfile.ZipInfo(path.relative_to(folder).as_posix(), _EPOCH)
            entry.external_attr = 0o100644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, path.read_bytes())
    return buffer.getvalue()


def upload(ws: Workshop, folder: Path, bucket: str, key_prefix: str = "") -> tuple[str, int, bool]:
    """Upload `folder` zipped, under its SHA-256; (key, size, whether it was uploaded now)."""
    body = zip_folder(folder)
    key = f"{key_prefix}{hashlib.sha256(body).hexdigest()}.zip"
    s3 = ws.client("s3")
    # HeadObject answers without a body, so botocore's error code is the HTTP status.
    if absent_is_none(lambda: s3.head_object(Bucket=bucket, Key=key), "404") is not None:
        return key, len(body), False
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/zip")
    return key, len(body), True


def package(ws: Workshop, template: Path, bucket: str, key_prefix: str = "") -> PackagedTemplate:
    """Upload the code of each AWS::Serverless::Function whose CodeUri is a local folder."""
    document: dict[str, Any] = yaml_parse(template.read_text())
    artifacts = []
    for lid, resource in (document.get("Resources") or {}).items():
        properties = resource.get("Properties") or {}
        code = properties.get("CodeUri")
        if resource.get("Type") != _FUNCTION or not isinstance(code, str) or code.startswith("s3:"):
            continue
        key, size, uploaded = upload(ws, template.parent / code, bucket, key_prefix)
        artifact = Artifact(lid, code, bucket, key, size, uploaded)
        properties["CodeUri"] = artifact.uri
        artifacts.append(artifact)
    return PackagedTemplate(json.dumps(document, indent=1), tuple(artifacts))
