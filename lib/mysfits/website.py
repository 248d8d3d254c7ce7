"""Module 1: an S3 bucket that hosts the site, its least-privilege read policy, website hosting.

The bucket itself and who may read it are in `buckets`; this module puts the site in it and
serves it. The notebooks reach both through `website`.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from . import paths
from .awsurls import website_url
from .bucketnames import InvalidBucketName, validate_bucket_name
from .buckets import (
    ALL_BLOCKED,
    CLEANUP,
    POLICIES_ALLOWED,
    PROBE_KEY,
    SiteBucket,
    allow_public_policies,
    bucket_name,
    check_anonymous_list,
    check_anonymous_read,
    check_block_public_access,
    check_public_policy_refused,
    create_bucket,
    create_probe_bucket,
    delete_buckets,
    delete_site_bucket,
    ensure_public_read,
    ensure_site_bucket,
    find_site_bucket,
    public_read_policy,
    remove_public_read,
)
from .checks import Check
from .errors import ResourceNotFound
from .idioms import translated
from .sitediff import differences, published_config, version_of
from .workshop import Workshop

__all__ = [
    "ALL_BLOCKED",
    "CLEANUP",
    "POLICIES_ALLOWED",
    "PROBE_KEY",
    "InvalidBucketName",
    "SiteBucket",
    "Website",
    "allow_public_policies",
    "check_anonymous_list",
    "check_anonymous_read",
    "check_block_public_access",
    "check_public_policy_refused",
    "check_site_uploaded",
    "check_website",
    "create_bucket",
    "create_probe_bucket",
    "delete_buckets",
    "delete_site_bucket",
    "ensure_public_read",
    "ensure_site_bucket",
    "ensure_website",
    "find_site_bucket",
    "find_website",
    "published_version",
    "public_read_policy",
    "remove_public_read",
    "site_files",
    "upload_site",
    "validate_bucket_name",
]


_NO_CACHE_TYPES = ("text/html", "application/json")


@dataclass(frozen=True)
class Website:
    """A bucket's website endpoint: the AWS URL and where it is reachable from here."""

    bucket: str
    aws_url: str
    url: str
    index_document: str
    error_document: str


def find_website(ws: Workshop, bucket: SiteBucket | str) -> Website:
    """The bucket's website endpoint, as configured by module 1."""
    name = bucket_name(bucket)
    missing = ResourceNotFound(f"bucket {name} has no website hosting: run notebook 01 first")
    with translated("NoSuchWebsiteConfiguration", into=missing):
        config = ws.client("s3").get_bucket_website(Bucket=name)
    aws_url = website_url(name, ws.region)
    return Website(
        name,
        aws_url,
        ws.url(aws_url),
        config["IndexDocument"]["Suffix"],
        config.get("ErrorDocument", {}).get("Key", ""),
    )


def site_files(config: dict[str, Any] | None = None) -> dict[str, tuple[bytes, str]]:
    """Every object of the site: key → (body, content type); data and config.json included."""
    files: dict[str, tuple[bytes, str]] = {}
    root = paths.web_dir()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        files[path.relative_to(root).as_posix()] = (path.read_bytes(), _content_type(path))
    files["mysfits.json"] = (paths.data_file().read_bytes(), "application/json")
    files["config.json"] = (
        json.dumps(config or {"version": 1}, indent=2).encode(),
        "application/json",
    )
    return files


def _content_type(path: Path) -> str:
    guessed = {".svg": "image/svg+xml", ".js": "text/javascript"}.get(
        path.suffix
    ) or mimetypes.guess_type(path.name)[0]
    content_type = guessed or "binary/octet-stream"
    return f"{content_type}; charset=utf-8" if content_type.startswith("text/") else content_type


def published_version(ws: Workshop, bucket: SiteBucket | str) -> int:
    """The `version` in the bucket's config.json; 0 when there is none or it is unreadable."""
    return version_of(published_config(ws.client("s3"), bucket_name(bucket)))


def upload_site(
    ws: Workshop, bucket: SiteBucket | str, config: dict[str, Any] | None = None
) -> list[str]:
    """Make the bucket hold the site: upload what changed, remove what is gone; return the keys.

    An older site version never replaces a newer one: when the bucket's config.json has a
    higher version than `config` (module 1 run again after module 2), only missing files are
    added; nothing is overwritten or removed.
    """
    name = bucket_name(bucket)
    s3 = ws.client("s3")
    files = site_files(config)
    existing = _etags(ws, name)
    older = published_version(ws, name) > int((config or {}).get("version", 1))
    for key, (body, content_type) in files.items():
        if key in existing and (older or existing[key] == hashlib.md5(body).hexdigest()):
            continue
        cache = "no-cache" if content_type.startswith(_NO_CACHE_TYPES) else "max-age=300"
        s3.put_object(Bucket=name, Key=key, Body=body, ContentType=content_type, CacheControl=cache)
    if not older:
        _delete_keys(ws, name, sorted(set(existing) - set(files)))
    return sorted(files)


def _etags(ws: Workshop, name: str) -> dict[str, str]:
    pages = ws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=name)
    return {o["Key"]: o["ETag"].strip('"') for page in pages for o in page.get("Contents", [])}


def _delete_keys(ws: Workshop, name: str, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        batch = [{"Key": k} for k in keys[start : start + 1000]]
        ws.client("s3").delete_objects(Bucket=name, Delete={"Objects": batch})


def check_site_uploaded(
    ws: Workshop, bucket: SiteBucket | str, config: dict[str, Any] | None = None
) -> Check:
    """Every site file is in the bucket with its content and content type, and nothing else is.

    A newer site version already in the bucket is the site to find (upload_site keeps it).
    """
    name = bucket_name(bucket)
    wanted, published = config or {"version": 1}, published_config(ws.client("s3"), name)
    newer = version_of(published) > version_of(wanted)
    etags = _etags(ws, name)
    found = differences(ws.client("s3"), name, etags, site_files(published if newer else wanted))
    shown = ", ".join(f"{kind} {keys or 'none'}" for kind, keys in found.items())
    kept = f" (site version {version_of(published)} kept)" if newer else ""
    return Check(
        f"site uploaded to {name}", not any(found.values()), f"{len(etags)} objects{kept}; {shown}"
    )


def ensure_website(
    ws: Workshop, bucket: SiteBucket | str, index: str = "index.html", error: str = "error.html"
) -> Website:
    """Turn on website hosting with index and error documents; return the endpoint."""
    name = bucket_name(bucket)
    ws.client("s3").put_bucket_website(
        Bucket=name,
        WebsiteConfiguration={"IndexDocument": {"Suffix": index}, "ErrorDocument": {"Key": error}},
    )
    return find_website(ws, name)


def check_website(
    ws: Workshop, site: Website, path: str = "/", expect: int = 200, contains: str | None = None
) -> Check:
    """GET `path` from the website endpoint; compare status (and optionally a body excerpt)."""
    response = requests.get(site.url.rstrip("/") + path, allow_redirects=False, timeout=10)
    ok = response.status_code == expect and (contains is None or contains in response.text)
    excerpt = " ".join(response.text.split())[:80]
    evidence = (
        f"HTTP {response.status_code} {response.headers.get('Content-Type', '')}: {excerpt!r}"
    )
    if "Location" in response.headers:
        evidence += f" → {response.headers['Location']}"
    label = f"website GET {path} answers {expect}" + (
        f" containing {contains!r}" if contains else ""
    )
    return Check(label, ok, evidence)
