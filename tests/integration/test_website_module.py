"""Module 1's library calls: idempotent ensure, sync upload, checks that can fail, delete."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from mysfits import website
from mysfits.errors import WorkshopError, error_code
from mysfits.workshop import Workshop


def _buckets(ws: Workshop) -> list[str]:
    return [
        b["Name"]
        for b in ws.client("s3").list_buckets()["Buckets"]
        if b["Name"].startswith(ws.prefix)
    ]


def test_ensure_twice_leaves_one_bucket_as_it_was(ws: Workshop) -> None:
    first = website.ensure_site_bucket(ws)
    assert website.check_block_public_access(ws, first, website.ALL_BLOCKED).ok  # AWS's default
    website.ensure_public_read(ws, first)
    second = website.ensure_site_bucket(ws)
    assert first == second and _buckets(ws) == [ws.names.site_bucket]
    # A re-run keeps what later steps did: the site stays public.
    assert website.check_block_public_access(ws, second, website.POLICIES_ALLOWED).ok
    assert "PublicReadObjects" in ws.client("s3").get_bucket_policy(Bucket=first.name)["Policy"]
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


def test_anonymous_checks_follow_the_bucket_policy(ws: Workshop) -> None:
    bucket = website.ensure_site_bucket(ws)
    website.upload_site(ws, bucket)
    assert website.check_anonymous_read(ws, bucket, expect=403).ok
    assert not website.check_anonymous_read(ws, bucket, expect=200).ok
    website.ensure_public_read(ws, bucket)
    assert website.check_anonymous_read(ws, bucket, expect=200).ok
    assert website.check_anonymous_list(ws, bucket, expect=403).ok
    website.ensure_public_read(ws, bucket, allow_list=True)  # more than a site needs
    listed = website.check_anonymous_list(ws, bucket, expect=403)
    assert not listed.ok and listed.evidence == "HTTP 200 OK"


def test_policy_probe_runs_on_a_fresh_scratch_bucket(ws: Workshop) -> None:
    site = website.ensure_site_bucket(ws)
    probe = website.create_probe_bucket(ws)
    assert probe.name.startswith(ws.names.probe_bucket_prefix) and probe.name != site.name
    assert website.check_block_public_access(ws, probe, website.ALL_BLOCKED).ok
    assert website.check_anonymous_read(ws, probe, expect=403, key=website.PROBE_KEY).ok
    refused = website.check_public_policy_refused(ws, probe)
    assert refused.ok, refused.evidence
    with pytest.raises(ClientError) as raised:  # the check changed nothing: still no policy
        ws.client("s3").get_bucket_policy(Bucket=probe.name)
    assert error_code(raised.value) == "NoSuchBucketPolicy"
    website.allow_public_policies(ws, probe)
    accepted = website.check_public_policy_refused(ws, probe)
    assert not accepted.ok and accepted.evidence.startswith("the policy was accepted")
    # A new probe replaces leftovers; the site bucket is never touched.
    again = website.create_probe_bucket(ws)
    assert sorted(_buckets(ws)) == sorted([site.name, again.name])
    assert website.delete_site_bucket(ws, again) is True


def _module_01(ws: Workshop) -> website.Website:
    """Notebook 01's steps, as its cells call them."""
    site_bucket = website.ensure_site_bucket(ws)
    website.upload_site(ws, site_bucket)
    assert website.check_site_uploaded(ws, site_bucket).ok
    probe = website.create_probe_bucket(ws)
    assert website.check_public_policy_refused(ws, probe).ok
    website.delete_site_bucket(ws, probe)
    website.ensure_public_read(ws, site_bucket)
    site = website.ensure_website(ws, site_bucket)
    website.remove_public_read(ws, site_bucket)
    website.ensure_public_read(ws, site_bucket)
    return site


def test_running_01_again_keeps_the_newest_site_and_its_policy(ws: Workshop) -> None:
    _module_01(ws)
    assert website.published_version(ws, ws.names.site_bucket) == 1
    newer = {"apiEndpoint": "http://api.example", "version": 2}  # what notebook 02 publishes
    website.upload_site(ws, ws.names.site_bucket, config=newer)
    policy = ws.client("s3").get_bucket_policy(Bucket=ws.names.site_bucket)["Policy"]
    site = _module_01(ws)
    assert website.published_version(ws, ws.names.site_bucket) == 2
    assert website.check_website(ws, site, "/config.json", expect=200, contains="api.example").ok
    assert ws.client("s3").get_bucket_policy(Bucket=ws.names.site_bucket)["Policy"] == policy
    assert website.check_block_public_access(ws, site.bucket, website.POLICIES_ALLOWED).ok
    assert _buckets(ws) == [ws.names.site_bucket]  # no probe left behind


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
