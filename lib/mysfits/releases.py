"""Module 2, part 3b: shipping a change through the pipeline, and one source of truth for the image.

A release is the service's source plus the settings it bakes in (`release.json`, which the
service reads under its real environment: the release's name, the table module 3 adds). The
library builds the pushed bundle from `service/` and those settings, so the learner's checkout
never changes. Both builds, the learner's and CodeBuild's, tag the image with the same name for
the same source (`src-` and a hash of the build context, written into the bundle as
`source-tag`), so "built from the same source" never depends on digests, which differ between
two Docker builds.

The service's current task definition is what runs. Once a pipeline exists, images reach the
service only through it: `task_definition_to_run` keeps what the service runs instead of
registering the learner's build, and each notebook pushes the settings it wants merged into
what was last released (unchanged bytes push nothing, so a re-run releases nothing).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

from . import fargate, paths
from .buildcontext import DEFAULT_DOCKERFILE, context_files, in_context, source_tag, tarball
from .errors import ResourceNotFound
from .idioms import absent_is_none, translated
from .images import Image
from .network import CoreNetwork
from .pipeline import BUILDSPEC, SOURCE_KEY
from .waiting import wait_until
from .workshop import Workshop

RELEASE_FILE = "service/mysfits_service/release.json"  # read by the service (config.py)
SOURCE_TAG_FILE = "source-tag"  # outside the build context: the buildspec tags the image with it
# Object metadata on each pushed version: lets a push skip unchanged bytes, and tells what it holds.
DIGEST_KEY, TAG_KEY, SETTINGS_KEY = "source-sha256", "source-tag", "release-settings"
# S3 asks to wait after versioning is first enabled on a bucket before writing objects
# ("we recommend that you wait 15 minutes"): until then a write may get no version id.
VERSIONING_SETTLE_SECONDS = 15 * 60


@dataclass(frozen=True)
class Push:
    """One upload of the source: its S3 version, the image tag it builds, whether it changed."""

    version_id: str
    image_tag: str
    settings: dict[str, str]
    changed: bool


def source_files(
    settings: dict[str, str] | None = None, changes: dict[str, str | bytes] | None = None
) -> dict[str, bytes]:
    """The build context and buildspec, the release's settings, and `changes` (path → content)."""
    root = paths.repo_root()
    files = {**context_files(root, DEFAULT_DOCKERFILE), BUILDSPEC: (root / BUILDSPEC).read_bytes()}
    if settings:
        files[RELEASE_FILE] = json.dumps(settings, indent=1, sort_keys=True).encode()
    files.update(
        {
            name: data.encode() if isinstance(data, str) else data
            for name, data in (changes or {}).items()
        }
    )
    return files


def source_archive(
    settings: dict[str, str] | None = None, changes: dict[str, str | bytes] | None = None
) -> bytes:
    """The pushed bundle as a reproducible zip: `source_files` plus the image tag they build."""
    files = source_files(settings, changes)
    files[SOURCE_TAG_FILE] = (source_tag(tarball(in_context(files))) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _read(archive: bytes, name: str) -> bytes | None:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return opened.read(name) if name in opened.namelist() else None


def _head(ws: Workshop) -> dict[str, Any] | None:
    # HeadObject answers without a body, so botocore's error code is the HTTP status (a missing
    # bucket is a 404 too).
    s3 = ws.client("s3")
    return absent_is_none(
        lambda: dict(s3.head_object(Bucket=ws.names.source_bucket, Key=SOURCE_KEY)), "404"
    )


def released_settings(ws: Workshop) -> dict[str, str]:
    """The settings the latest pushed source bakes in (empty before the first push)."""
    head = _head(ws)
    return dict(json.loads(head["Metadata"].get(SETTINGS_KEY, "{}"))) if head else {}


def _put_versioned(ws: Workshop, data: bytes, metadata: dict[str, str], timeout: float) -> str:
    """PutObject, again while S3 gives no version id (just after versioning was first enabled)."""
    s3, bucket = ws.client("s3"), ws.names.source_bucket
    missing = ResourceNotFound(
        f"no source bucket {bucket}: run notebook 02's continuous-delivery step first"
    )
    with translated("NoSuchBucket", into=missing):
        status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    if status != "Enabled":
        raise ResourceNotFound(
            f"versioning is {status or 'off'} on {bucket}, and the pipeline's S3 source "
            "needs it: run pipeline.ensure_buckets(ws) first"
        )

    def put() -> str | None:
        version = s3.put_object(
            Bucket=bucket,
            Key=SOURCE_KEY,
            Body=data,
            Metadata=metadata,
            ContentType="application/zip",
        ).get("VersionId")
        return str(version) if version and version != "null" else None

    return put() or wait_until(
        put,
        what=f"a versioned write to {bucket}",
        timeout=timeout,
        interval=30,
        hint="S3 recommends waiting 15 minutes after versioning is first enabled on a bucket; run "
        "the cell again later if it keeps failing",
    )


def push_source(
    ws: Workshop, archive: bytes | None = None, timeout: float = VERSIONING_SETTLE_SECONDS
) -> Push:
    """Upload the bundle as a new version, unless the latest version holds exactly these bytes."""
    data = archive if archive is not None else source_archive()
    digest = hashlib.sha256(data).hexdigest()
    tag = (_read(data, SOURCE_TAG_FILE) or b"").decode().strip()
    settings = json.loads(_read(data, RELEASE_FILE) or b"{}")
    head = _head(ws)
    if head is not None and head.get("Metadata", {}).get(DIGEST_KEY) == digest:
        return Push(str(head["VersionId"]), tag, settings, changed=False)
    metadata = {
        DIGEST_KEY: digest,
        TAG_KEY: tag,
        SETTINGS_KEY: json.dumps(settings, sort_keys=True),
    }
    return Push(_put_versioned(ws, data, metadata, timeout), tag, settings, changed=True)


def push_release(ws: Workshop, **settings: str) -> Push:
    """Push the source with `settings` merged into the last release's (a re-run pushes nothing)."""
    return push_source(ws, source_archive({**released_settings(ws), **settings}))


# -- the one source of truth ----------------------------------------------------------------------


def pipeline_exists(ws: Workshop) -> bool:
    """Whether the service's pipeline exists (then releases go through it)."""
    codepipeline = ws.client("codepipeline")
    found = absent_is_none(
        lambda: codepipeline.get_pipeline(name=ws.names.pipeline), "PipelineNotFoundException"
    )
    return found is not None


def task_definition_to_run(
    ws: Workshop, network: CoreNetwork, image: Image, environment: dict[str, str] | None = None
) -> str:
    """The service's current task definition once a pipeline releases it; before, one for `image`.

    Never rolls a released service back to the learner's build, and never registers a revision
    for it: changes reach a pipeline-managed service by `push_release`.
    """
    current = fargate.current_task_definition(ws)
    if current is not None and fargate.service_exists(ws) and pipeline_exists(ws):
        return str(current["taskDefinitionArn"])
    return fargate.ensure_task_definition(ws, network, image, environment)
