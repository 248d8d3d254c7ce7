"""S3 buckets: made in the region, who may read them (Block Public Access, policies), deleted."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .bucketnames import validate_bucket_name
from .checks import Check
from .errors import BucketNameTaken, ResourceNotFound, WorkshopError, error_code, http_status
from .idioms import absent_is_none, delete_if_present, translated
from .inventory import Family, Leftover, tagged
from .workshop import Workshop

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


def bucket_name(bucket: SiteBucket | str) -> str:
    """The name of a bucket given as a SiteBucket or by name."""
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
    """Create bucket `name` in the workshop's region, wait until it answers; False if already ours.

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


def _taken(name: str) -> BucketNameTaken:
    return BucketNameTaken(
        f"the bucket name {name!r} is taken by another AWS account (names are global): "
        "choose another with the notebook's bucket_name parameter, or another prefix"
    )


def _bucket_exists(ws: Workshop, name: str) -> bool:
    """True for our own bucket, False when there is none; another account's: BucketNameTaken."""
    # HeadBucket answers without a body, so botocore's error code is the HTTP status.
    with translated("403", into=_taken(name)):
        return absent_is_none(lambda: ws.client("s3").head_bucket(Bucket=name), "404") is not None


def check_block_public_access(
    ws: Workshop, bucket: SiteBucket | str, expect: dict[str, bool]
) -> Check:
    """Compare the bucket's Block Public Access settings with `expect` (a missing one is off)."""
    name = bucket_name(bucket)
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
    name = bucket_name(bucket)
    status, code = _anonymous_status(ws, "get_object", Bucket=name, Key=key)
    return Check(
        f"anonymous GET s3://{name}/{key} answers {expect}",
        status == expect,
        f"HTTP {status} {code}",
    )


def check_anonymous_list(ws: Workshop, bucket: SiteBucket | str, expect: int = 403) -> Check:
    """List the bucket without credentials and compare the status with `expect`."""
    name = bucket_name(bucket)
    status, code = _anonymous_status(ws, "list_objects_v2", Bucket=name)
    return Check(
        f"anonymous list of s3://{name} answers {expect}", status == expect, f"HTTP {status} {code}"
    )


def public_read_policy(bucket: SiteBucket | str, allow_list: bool = False) -> dict[str, Any]:
    """Least privilege for a public site: anyone may GET objects; listing only when asked for."""
    name = bucket_name(bucket)
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
    name = bucket_name(probe)
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
        Bucket=bucket_name(bucket),
        PublicAccessBlockConfiguration=POLICIES_ALLOWED,
    )


def ensure_public_read(
    ws: Workshop, bucket: SiteBucket | str, allow_list: bool = False
) -> dict[str, Any]:
    """Allow public policies, then attach the least-privilege read policy; return the policy."""
    allow_public_policies(ws, bucket)
    policy = public_read_policy(bucket, allow_list)
    ws.client("s3").put_bucket_policy(Bucket=bucket_name(bucket), Policy=json.dumps(policy))
    return policy


def remove_public_read(ws: Workshop, bucket: SiteBucket | str) -> None:
    """Delete the bucket policy, so anonymous visitors are refused again."""
    ws.client("s3").delete_bucket_policy(Bucket=bucket_name(bucket))


def delete_site_bucket(ws: Workshop, bucket: SiteBucket | str) -> bool:
    """Empty (every version and delete marker) and delete the bucket; False if already gone."""
    name = bucket_name(bucket)
    return delete_if_present(lambda: _empty_and_delete(ws.client("s3"), name), "NoSuchBucket")


def empty_bucket(s3: Any, name: str) -> None:
    """Delete every object version and delete marker of bucket `name`."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        if doomed:
            s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})


def _empty_and_delete(s3: Any, name: str) -> None:
    empty_bucket(s3, name)
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
