"""Module 1's library calls: idempotent ensure, sync upload, checks that can fail, delete."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from mysfits import website
from mysfits.errors import WorkshopError, error_code
from mysfits.workshop import Workshop


def _buckets(ws: Workshop) -> list[str]:
    return [b["Name"] for b in ws.client("s3").list_buckets()["Buckets"] if b["Name"].startswith(ws.prefix)]


def test_ensure_twice_leaves_one_bucket_in_the_same_state(ws: Workshop) -> None:
    first = website.ensure_site_bucket(ws)
    website.ensure_public_read(ws, first)
    second = website.ensure_site_bucket(ws)
    assert first == second and _buckets(ws) == [ws.names.site_bucket]
    assert website.check_block_public_access(ws, second, website.ALL_BLOCKED).ok
    tags = ws.client("s3").get_bucket_tagging(Bucket=first.name)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == ws.tags


def test_upload_syncs_and_skips_unchanged(ws: Workshop) -> None:
    bucket = website.ensure_site_bucket(ws)
    s3 = ws.client("s3")
    # Versioning makes every write visible: a PUT of the same bytes still adds a version.
    s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket.name, Key="stale.html", Body=b"old")
    keys = website.upload_site(ws, bucket)
    assert "stale.html" not in keys and {"index.html", "mysfits.json", "config.json"} <= set(keys)
    before = _versions(ws, bucket.name)
    assert sorted(key for key, _ in before if key != "stale.html") == keys
    website.upload_site(ws, bucket)
    assert _versions(ws, bucket.name) == before  # nothing was written again
    assert website.check_site_uploaded(ws, bucket).ok


def _versions(ws: Workshop, bucket: str) -> set[tuple[str, str]]:
    """Every version of every object (delete markers too), as (key, version id)."""
    listed = ws.client("s3").list_object_versions(Bucket=bucket)
    every = listed.get("Versions", []) + listed.get("DeleteMarkers", [])
    return {(v["Key"], v["VersionId"]) for v in every}


def test_checks_fail_when_reality_differs(ws: Workshop) -> None:
    bucket = website.ensure_site_bucket(ws)
    assert not website.check_site_uploaded(ws, bucket).ok
    assert not website.check_anonymous_read(ws, bucket, expect=200).ok
    assert not website.check_block_public_access(ws, bucket, website.POLICIES_ALLOWED).ok
    website.allow_public_policies(ws, bucket)
    refused = website.check_public_policy_refused(ws, bucket)
    assert not refused.ok and refused.evidence == "the policy was accepted"
    # Nothing was left public by the probe: no policy, and an anonymous reader is still refused.
    with pytest.raises(ClientError) as raised:
        ws.client("s3").get_bucket_policy(Bucket=bucket.name)
    assert error_code(raised.value) == "NoSuchBucketPolicy"
    website.upload_site(ws, bucket)
    assert website.check_anonymous_read(ws, bucket, expect=403).ok


def test_anonymous_checks_follow_the_bucket_policy(ws: Workshop) -> None:
    bucket = website.ensure_site_bucket(ws)
    website.upload_site(ws, bucket)
    assert website.check_public_policy_refused(ws, bucket).ok  # a new bucket blocks public policies
    assert website.check_anonymous_read(ws, bucket, expect=403).ok
    assert not website.check_anonymous_read(ws, bucket, expect=200).ok
    website.ensure_public_read(ws, bucket)
    assert website.check_anonymous_read(ws, bucket, expect=200).ok
    assert website.check_anonymous_list(ws, bucket, expect=403).ok
    website.ensure_public_read(ws, bucket, allow_list=True)  # more than a site needs
    listed = website.check_anonymous_list(ws, bucket, expect=403)
    assert not listed.ok and listed.evidence == "HTTP 200 OK"


def test_delete_is_idempotent_and_removes_every_version(ws: Workshop) -> None:
    bucket = website.ensure_site_bucket(ws)
    s3 = ws.client("s3")
    s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2"):
        s3.put_object(Bucket=bucket.name, Key="page.html", Body=body)
    s3.delete_object(Bucket=bucket.name, Key="page.html")
    assert website.delete_site_bucket(ws, bucket) is True
    assert website.delete_site_bucket(ws, bucket) is False
    assert _buckets(ws) == []


def test_bad_bucket_name_fails_before_any_call(ws: Workshop) -> None:
    with pytest.raises(website.InvalidBucketName, match="lowercase"):
        website.ensure_site_bucket(ws, "Not_Valid")
    assert _buckets(ws) == []


def test_url_of_something_not_served_names_the_fix(ws: Workshop) -> None:
    with pytest.raises(WorkshopError, match="mysfits local endpoints"):
        ws.url("http://nothing-here.s3-website-us-east-1.amazonaws.com/")
