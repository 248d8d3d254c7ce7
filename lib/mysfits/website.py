"""Module 1: an S3 bucket that hosts the site, its least-privilege read policy, website hosting."""

from __future__ import annotations

import hashlib
import json
import mimetypes
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from botocore.exceptions import ClientError

from . import paths
from .awsurls import website_url
from .bucketnames import InvalidBucketName, validate_bucket_name
from .checks import Check
from .errors import BucketNameTaken, ResourceNotFound, WorkshopError, error_code, http_status
from .idioms import absent_is_none, delete_if_present, translated
from .inventory import Family, Leftover, tagged
from .sitediff import differences, published_config, version_of
from .workshop import Workshop

__all__ = [
    "ALL_BLOCKED",
    "POLICIES_ALLOWED",
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
ALL_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
# Public ACLs stay blocked: the site is made public by a bucket policy alone.
POLICIES_ALLOWED = {**ALL_BLOCKED, "BlockPublicPolicy": False, "RestrictPublicBuckets": False}


@dataclass(frozen=True)
class SiteBucket:
    """The bucket that holds the site."""

    name: str
    region: str

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"


@dataclass(frozen=True)
class Website:
    """A bucket's website endpoint: the AWS URL and where it is reachable from here."""

    bucket: str
    aws_url: str
    url: str
    index_document: str
    error_document: str


def _bucket_name(bucket: SiteBucket | str) -> str:
    return bucket.name if isinstance(bucket, SiteBucket) else bucket


def ensure_site_bucket(ws: Workshop, name: str | None = None) -> SiteBucket:
    """Create the site bucket if it is missing (tagged for cleanup); return it either way.

    A new bucket keeps AWS's private defaults. An existing one is left as it is: running
    module 1 again after later modules must not take their site offline or make it private.
    """
    name = validate_bucket_name(name or ws.names.site_bucket)
    create_bucket(ws, name)
    ws.client("s3").put_bucket_tagging(Bucket=name, Tagging={"TagSet": ws.tag_list()})
    return SiteBucket(name, ws.region)


PROBE_KEY = "probe.txt"


def create_probe_bucket(ws: Workshop) -> SiteBucket:
    """A new scratch bucket holding one object, to show a new bucket's defaults on every run.

    The site bucket only starts private on the first run; later it stays public. Probes left
    by an interrupted run are deleted first. Delete this one with `delete_site_bucket`.
    """
    for leftover in _probe_buckets(ws):
        delete_site_bucket(ws, leftover)
    name = validate_bucket_name(f"{ws.names.probe_bucket_prefix}{uuid.uuid4().hex[:8]}")
    create_bucket(ws, name)
    s3 = ws.client("s3")
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": ws.tag_list()})
    s3.put_object(
        Bucket=name,
        Key=PROBE_KEY,
        Body=b"private unless a policy says otherwise\n",
        ContentType="text/plain; charset=utf-8",
    )
    return SiteBucket(name, ws.region)


def _probe_buckets(ws: Workshop) -> list[str]:
    start = ws.names.probe_bucket_prefix
    return [
        b["Name"]
        for b in ws.client("s3").list_buckets().get("Buckets", [])
        if b["Name"].startswith(start)
    ]


def create_bucket(ws: Workshop, name: str) -> bool:
    """Create bucket `name` in the workshop's region and wait until it answers; False if it was already ours.

    Another account's bucket of that name raises BucketNameTaken, whose message says what to do.
    """
    if _bucket_exists(ws, name):
        return False
    s3 = ws.client("s3")
    request: dict[str, Any] = {"Bucket": name}
    if ws.region != "us-east-1":
        request["CreateBucketConfiguration"] = {"LocationConstraint": ws.region}
    with translated("BucketAlreadyExists", into=_taken(name)):
        s3.create_bucket(**request)
    s3.get_waiter("bucket_exists").wait(Bucket=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    return True


def find_site_bucket(ws: Workshop, name: str | None = None) -> SiteBucket:
    """The site bucket module 1 made (later modules publish new site versions into it)."""
    name = name or ws.names.site_bucket
    if not _bucket_exists(ws, name):
        raise ResourceNotFound(f"no site bucket {name}: run notebook 01 first")
    return SiteBucket(name, ws.region)


def find_website(ws: Workshop, bucket: SiteBucket | str) -> Website:
    """The bucket's website endpoint, as configured by module 1."""
    name = _bucket_name(bucket)
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


def _taken(name: str) -> BucketNameTaken:
    return BucketNameTaken(
        f"the bucket name {name!r} is taken by another AWS account (names are global): "
        "choose another with the notebook's bucket_name parameter, or another prefix"
    )


def _bucket_exists(ws: Workshop, name: str) -> bool:
    """True for our own bucket, False when there is none; another account's raises BucketNameTaken."""
    # HeadBucket answers without a body, so botocore's error code is the HTTP status.
    with translated("403", into=_taken(name)):
        return absent_is_none(lambda: ws.client("s3").head_bucket(Bucket=name), "404") is not None


def check_block_public_access(
    ws: Workshop, bucket: SiteBucket | str, expect: dict[str, bool]
) -> Check:
    """Compare the bucket's Block Public Access settings with `expect` (missing settings count as off)."""
    name = _bucket_name(bucket)
    s3 = ws.client("s3")
    found = (
        absent_is_none(
            lambda: s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
            "NoSuchPublicAccessBlockConfiguration",
        )
        or {}
    )
    actual = {key: bool(found.get(key, False)) for key in expect}
    shown = ", ".join(f"{k}={v}" for k, v in actual.items())
    return Check(
        f"Block Public Access on {name}",
        actual == expect,
        shown,
        {"actual": actual, "expected": expect},
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
    return version_of(published_config(ws.client("s3"), _bucket_name(bucket)))


def upload_site(
    ws: Workshop, bucket: SiteBucket | str, config: dict[str, Any] | None = None
) -> list[str]:
    """Make the bucket hold the site: upload what changed, remove what is gone; return the keys.

    An older site version never replaces a newer one: when the bucket's config.json has a
    higher version than `config` (module 1 run again after module 2), only missing files are
    added; nothing is overwritten or removed.
    """
    name = _bucket_name(bucket)
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
    name = _bucket_name(bucket)
    wanted, published = config or {"version": 1}, published_config(ws.client("s3"), name)
    newer = version_of(published) > version_of(wanted)
    etags = _etags(ws, name)
    found = differences(ws.client("s3"), name, etags, site_files(published if newer else wanted))
    shown = ", ".join(f"{kind} {keys or 'none'}" for kind, keys in found.items())
    kept = f" (site version {version_of(published)} kept)" if newer else ""
    return Check(
        f"site uploaded to {name}", not any(found.values()), f"{len(etags)} objects{kept}; {shown}"
    )


def _anonymous_status(ws: Workshop, call: str, **params: Any) -> tuple[int, str]:
    try:
        getattr(ws.anonymous_client("s3"), call)(**params)
    except ClientError as error:
        return http_status(error), error_code(error)
    return 200, "OK"


def check_anonymous_read(
    ws: Workshop, bucket: SiteBucket | str, expect: int, key: str = "index.html"
) -> Check:
    """GET an object without credentials and compare the status with `expect`."""
    name = _bucket_name(bucket)
    status, code = _anonymous_status(ws, "get_object", Bucket=name, Key=key)
    return Check(
        f"anonymous GET s3://{name}/{key} answers {expect}",
        status == expect,
        f"HTTP {status} {code}",
    )


def check_anonymous_list(ws: Workshop, bucket: SiteBucket | str, expect: int = 403) -> Check:
    """List the bucket without credentials and compare the status with `expect`."""
    name = _bucket_name(bucket)
    status, code = _anonymous_status(ws, "list_objects_v2", Bucket=name)
    return Check(
        f"anonymous list of s3://{name} answers {expect}", status == expect, f"HTTP {status} {code}"
    )


def public_read_policy(bucket: SiteBucket | str, allow_list: bool = False) -> dict[str, Any]:
    """Least privilege for a public site: anyone may GET objects; listing only when asked for."""
    name = _bucket_name(bucket)
    statements = [
        {
            "Sid": "PublicReadObjects",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/*",
        }
    ]
    if allow_list:
        statements.append(
            {
                "Sid": "PublicListBucket",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{name}",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def check_public_policy_refused(ws: Workshop, probe: SiteBucket | str) -> Check:
    """Try to attach a public-read policy to a probe bucket; passes when S3 refuses (AccessDenied).

    S3 has no dry run, so the attempt is made on a scratch bucket (`create_probe_bucket`), never
    on the site: when the check passes nothing changed, and when S3 accepts the policy, it stays
    on the probe (the check undoes nothing) until the probe is deleted.
    """
    name = _bucket_name(probe)
    if name == ws.names.site_bucket:
        raise WorkshopError(
            f"{name} is the site bucket: probe a scratch bucket from "
            "website.create_probe_bucket(ws) instead, so the site cannot change"
        )
    label = "a public policy is refused while Block Public Access is on"
    try:
        ws.client("s3").put_bucket_policy(Bucket=name, Policy=json.dumps(public_read_policy(name)))
    except ClientError as error:
        code = error_code(error)
        return Check(label, code == "AccessDenied", f"HTTP {http_status(error)} {code} on {name}")
    return Check(label, False, f"the policy was accepted: {name} is now public")


def allow_public_policies(ws: Workshop, bucket: SiteBucket | str) -> None:
    """Relax Block Public Access for bucket policies only; public ACLs stay blocked."""
    ws.client("s3").put_public_access_block(
        Bucket=_bucket_name(bucket),
        PublicAccessBlockConfiguration=POLICIES_ALLOWED,
    )


def ensure_public_read(
    ws: Workshop, bucket: SiteBucket | str, allow_list: bool = False
) -> dict[str, Any]:
    """Allow public policies, then attach the least-privilege read policy; return the policy."""
    allow_public_policies(ws, bucket)
    policy = public_read_policy(bucket, allow_list)
    ws.client("s3").put_bucket_policy(Bucket=_bucket_name(bucket), Policy=json.dumps(policy))
    return policy


def remove_public_read(ws: Workshop, bucket: SiteBucket | str) -> None:
    """Delete the bucket policy, so anonymous visitors are refused again."""
    ws.client("s3").delete_bucket_policy(Bucket=_bucket_name(bucket))


def ensure_website(
    ws: Workshop, bucket: SiteBucket | str, index: str = "index.html", error: str = "error.html"
) -> Website:
    """Turn on website hosting with index and error documents; return the endpoint."""
    name = _bucket_name(bucket)
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


def delete_site_bucket(ws: Workshop, bucket: SiteBucket | str) -> bool:
    """Empty (every version and delete marker) and delete the bucket; False if it was already gone."""
    name = _bucket_name(bucket)
    return delete_if_present(lambda: _empty_and_delete(ws.client("s3"), name), "NoSuchBucket")


def _empty_and_delete(s3: Any, name: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
    s3.delete_bucket(Bucket=name)


# -- cleanup: every bucket of the prefix (the site's, and the pipeline's that create_bucket made) --


def _prefix_buckets(ws: Workshop) -> Iterator[str]:
    """The site bucket by name, and every other bucket named for the prefix and tagged with it."""
    for bucket in ws.client("s3").list_buckets().get("Buckets", []):
        name = bucket["Name"]
        ours = name.startswith(f"{ws.prefix}-") and _tagged_bucket(ws, name)
        if name == ws.names.site_bucket or ours:
            yield name


def _tagged_bucket(ws: Workshop, name: str) -> bool:
    # Untagged, deleted meanwhile, or tags we may not read: not provably ours.
    tags = absent_is_none(
        lambda: ws.client("s3").get_bucket_tagging(Bucket=name)["TagSet"],
        "NoSuchTagSet",
        "NoSuchBucket",
        "AccessDenied",
    )
    return tags is not None and tagged(tags, ws.prefix)


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The prefix's buckets (storage bills per GB, not per hour)."""
    yield from (Leftover("s3 bucket", name) for name in _prefix_buckets(ws))


def delete_buckets(ws: Workshop) -> list[bool]:
    """Empty and delete every bucket of the prefix; what each deletion returned."""
    return [delete_site_bucket(ws, name) for name in _prefix_buckets(ws)]


CLEANUP = Family(leftovers, steps=(("buckets", delete_buckets),))
