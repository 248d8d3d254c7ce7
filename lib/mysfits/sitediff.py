"""How a bucket differs from the site: missing and unexpected keys, other content, another type;
and which site version its config.json says it holds."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .idioms import absent_is_none


def published_config(s3: Any, bucket: str) -> dict[str, Any]:
    """The bucket's config.json; empty when there is none or it is unreadable."""
    answer = absent_is_none(lambda: s3.get_object(Bucket=bucket, Key="config.json"), "NoSuchKey")
    if answer is None:
        return {}
    try:
        config = json.loads(answer["Body"].read())
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def version_of(config: dict[str, Any]) -> int:
    """A site config's `version`; 0 when it has none or it is not a number."""
    try:
        return int(config.get("version", 0))
    except (ValueError, TypeError):
        return 0


def same_body(s3: Any, bucket: str, key: str, etag: str, body: bytes) -> bool:
    """Whether the object holds `body`.

    S3 makes the ETag of a single-part upload, unencrypted or SSE-S3, the MD5 of its bytes; a
    multipart or SSE-KMS upload gets another ETag, so a mismatch is settled by reading the object.
    """
    if etag == hashlib.md5(body).hexdigest():
        return True
    return bool(s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body)


def differences(
    s3: Any, bucket: str, etags: dict[str, str], expected: dict[str, tuple[bytes, str]]
) -> dict[str, list[str]]:
    """The keys that differ from `expected` (key -> body, content type), by kind of difference.

    `etags` is what the bucket holds: key -> ETag, as ListObjectsV2 gives them.
    """
    present = sorted(set(expected) & set(etags))
    return {
        "missing": sorted(set(expected) - set(etags)),
        "unexpected": sorted(set(etags) - set(expected)),
        "different content": [
            k for k in present if not same_body(s3, bucket, k, etags[k], expected[k][0])
        ],
        "wrong type": [
            k
            for k in present
            if s3.head_object(Bucket=bucket, Key=k)["ContentType"] != expected[k][1]
        ],
    }
