"""Module 1's checks fail on a broken bucket or site and pass on a good one.

S3 runs in-process (moto); where moto does not answer as AWS does (anonymous access, Block
Public Access refusing a policy) the client is stubbed with AWS's own answer, and the website
endpoint is a loopback server. tests/integration/test_website_module.py runs the same checks
against the local cloud, which enforces policies.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.stub import Stubber

from mysfits import paths, website
from mysfits.workshop import Workshop

from .fakes import Request, http_server, stub


@pytest.fixture
def bucket(ws: Workshop) -> website.SiteBucket:
    return website.ensure_site_bucket(ws)


@pytest.fixture
def uploaded(ws: Workshop, bucket: website.SiteBucket) -> website.SiteBucket:
    website.upload_site(ws, bucket)
    return bucket


# -- Block Public Access ---------------------------------------------------------------------------


def test_block_public_access_passes_with_every_setting_on(
    ws: Workshop, bucket: website.SiteBucket
) -> None:
    ws.client("s3").put_public_access_block(
        Bucket=bucket.name, PublicAccessBlockConfiguration=website.ALL_BLOCKED
    )
    check = website.check_block_public_access(ws, bucket, website.ALL_BLOCKED)
    assert check.ok, check
    assert check.evidence == (
        "BlockPublicAcls=True, IgnorePublicAcls=True, BlockPublicPolicy=True, "
        "RestrictPublicBuckets=True"
    )


def test_block_public_access_fails_once_policies_are_allowed(
    ws: Workshop, bucket: website.SiteBucket
) -> None:
    website.allow_public_policies(ws, bucket)
    check = website.check_block_public_access(ws, bucket, website.ALL_BLOCKED)
    assert not check.ok
    assert (
        "BlockPublicPolicy=False" in check.evidence
        and "RestrictPublicBuckets=False" in check.evidence
    )


def test_block_public_access_counts_a_removed_configuration_as_off(
    ws: Workshop, bucket: website.SiteBucket
) -> None:
    ws.client("s3").delete_public_access_block(Bucket=bucket.name)
    check = website.check_block_public_access(ws, bucket, website.ALL_BLOCKED)
    assert not check.ok and check.details["actual"] == dict.fromkeys(website.ALL_BLOCKED, False)


# -- the uploaded site -----------------------------------------------------------------------------


def test_site_uploaded_passes_when_the_bucket_holds_exactly_the_site(
    ws: Workshop, uploaded: website.SiteBucket
) -> None:
    check = website.check_site_uploaded(ws, uploaded)
    assert check.ok, check
    assert check.evidence == (
        f"{len(website.site_files())} objects; missing none, unexpected none, "
        "different content none, wrong type none"
    )


def test_site_uploaded_fails_on_a_corrupted_page(
    ws: Workshop, uploaded: website.SiteBucket
) -> None:
    # Same key, same content type, different bytes: a listing of names cannot see this.
    ws.client("s3").put_object(
        Bucket=uploaded.name,
        Key="index.html",
        Body=b"<html>old site</html>",
        ContentType="text/html; charset=utf-8",
    )
    check = website.check_site_uploaded(ws, uploaded)
    assert not check.ok
    assert "different content ['index.html']" in check.evidence


def test_site_uploaded_fails_when_site_version_2_was_not_published(
    ws: Workshop, uploaded: website.SiteBucket
) -> None:
    check = website.check_site_uploaded(
        ws, uploaded, config={"apiEndpoint": "http://api", "version": 2}
    )
    assert not check.ok
    assert "different content ['config.json']" in check.evidence


def test_site_uploaded_fails_on_missing_extra_and_mistyped_objects(
    ws: Workshop, uploaded: website.SiteBucket
) -> None:
    s3 = ws.client("s3")
    s3.delete_object(Bucket=uploaded.name, Key="js/site.js")
    s3.put_object(Bucket=uploaded.name, Key="old-page.html", Body=b"gone")
    # Served as a download, the stylesheet would not apply: the browser needs text/css.
    s3.copy_object(
        Bucket=uploaded.name,
        Key="css/site.css",
        CopySource={"Bucket": uploaded.name, "Key": "css/site.css"},
        ContentType="binary/octet-stream",
        MetadataDirective="REPLACE",
    )
    check = website.check_site_uploaded(ws, uploaded)
    assert not check.ok
    assert (
        "missing ['js/site.js']" in check.evidence
        and "unexpected ['old-page.html']" in check.evidence
    )
    assert "wrong type ['css/site.css']" in check.evidence


def test_site_uploaded_passes_on_a_newer_site_version_kept_by_a_rerun(
    ws: Workshop, uploaded: website.SiteBucket
) -> None:
    # Notebook 02 published version 2; 01 run again keeps it (upload_site never downgrades).
    version_2 = {"apiEndpoint": "http://api.example", "version": 2}
    website.upload_site(ws, uploaded, config=version_2)
    website.upload_site(ws, uploaded)
    check = website.check_site_uploaded(ws, uploaded)
    assert check.ok, check
    assert check.evidence.startswith(f"{len(website.site_files())} objects (site version 2 kept);")


def test_site_uploaded_fails_on_a_corrupted_page_of_a_kept_newer_version(
    ws: Workshop, uploaded: website.SiteBucket
) -> None:
    website.upload_site(ws, uploaded, config={"apiEndpoint": "http://api.example", "version": 2})
    ws.client("s3").put_object(
        Bucket=uploaded.name,
        Key="js/site.js",
        Body=b"// truncated",
        ContentType="text/javascript; charset=utf-8",
    )
    check = website.check_site_uploaded(ws, uploaded)
    assert not check.ok and "different content ['js/site.js']" in check.evidence


def test_site_uploaded_reads_objects_whose_etag_is_not_their_md5(
    ws: Workshop, uploaded: website.SiteBucket
) -> None:
    # A multipart upload's ETag is not the MD5 of the bytes; the same bytes must still pass.
    s3, body = ws.client("s3"), (paths.web_dir() / "index.html").read_bytes()
    upload = s3.create_multipart_upload(
        Bucket=uploaded.name, Key="index.html", ContentType="text/html; charset=utf-8"
    )
    part = s3.upload_part(
        Bucket=uploaded.name, Key="index.html", UploadId=upload["UploadId"], PartNumber=1, Body=body
    )
    s3.complete_multipart_upload(
        Bucket=uploaded.name,
        Key="index.html",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    assert "-" in s3.head_object(Bucket=uploaded.name, Key="index.html")["ETag"]
    assert website.check_site_uploaded(ws, uploaded).ok


# -- anonymous access ------------------------------------------------------------------------------


@pytest.fixture
def anonymous(ws: Workshop, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The anonymous client, stubbed with S3's answers (moto does not apply bucket policies)."""
    client = ws.anonymous_client("s3")
    monkeypatch.setattr(ws, "anonymous_client", lambda service: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def _access_denied(stubber: Stubber, operation: str) -> None:
    stubber.add_client_error(operation, "AccessDenied", "Access Denied", http_status_code=403)


def test_anonymous_read_passes_when_a_private_bucket_refuses(
    ws: Workshop, anonymous: Stubber
) -> None:
    _access_denied(anonymous, "get_object")
    check = website.check_anonymous_read(ws, "site", expect=403)
    assert check.ok and check.evidence == "HTTP 403 AccessDenied"


def test_anonymous_read_fails_when_a_bucket_meant_to_be_private_serves(
    ws: Workshop, anonymous: Stubber
) -> None:
    anonymous.add_response("get_object", {"ContentType": "text/html", "ContentLength": 5})
    check = website.check_anonymous_read(ws, "site", expect=403)
    assert not check.ok and check.evidence == "HTTP 200 OK"


def test_anonymous_read_fails_when_the_public_site_refuses(
    ws: Workshop, anonymous: Stubber
) -> None:
    _access_denied(anonymous, "get_object")
    assert not website.check_anonymous_read(ws, "site", expect=200).ok


def test_anonymous_list_passes_when_listing_is_refused(ws: Workshop, anonymous: Stubber) -> None:
    _access_denied(anonymous, "list_objects_v2")
    check = website.check_anonymous_list(ws, "site")
    assert check.ok and check.evidence == "HTTP 403 AccessDenied"


def test_anonymous_list_fails_when_the_policy_grants_listing(
    ws: Workshop, anonymous: Stubber
) -> None:
    anonymous.add_response(
        "list_objects_v2",
        {
            "Name": "site",
            "KeyCount": 1,
            "IsTruncated": False,
            "Contents": [{"Key": "index.html", "Size": 5}],
        },
    )
    check = website.check_anonymous_list(ws, "site")
    assert not check.ok and check.evidence == "HTTP 200 OK"


# -- a public policy while Block Public Access is on -----------------------------------------------


@pytest.fixture
def probe(ws: Workshop) -> website.SiteBucket:
    """The scratch bucket the policy check is made on (never the site)."""
    return website.create_probe_bucket(ws)


def test_public_policy_refused_passes_on_s3s_access_denied(
    ws: Workshop, probe: website.SiteBucket
) -> None:
    s3 = stub(ws, "s3")
    s3.add_client_error("put_bucket_policy", "AccessDenied", "Access Denied", http_status_code=403)
    check = website.check_public_policy_refused(ws, probe)
    assert check.ok and check.evidence == f"HTTP 403 AccessDenied on {probe.name}"
    s3.assert_no_pending_responses()


def test_public_policy_refused_fails_on_another_error(
    ws: Workshop, probe: website.SiteBucket
) -> None:
    s3 = stub(ws, "s3")
    s3.add_client_error(
        "put_bucket_policy", "MalformedPolicy", "Policies must be valid JSON", http_status_code=400
    )
    check = website.check_public_policy_refused(ws, probe)
    assert not check.ok and check.evidence == f"HTTP 400 MalformedPolicy on {probe.name}"


def test_public_policy_refused_fails_when_the_policy_is_accepted(
    ws: Workshop, probe: website.SiteBucket
) -> None:
    website.allow_public_policies(ws, probe)  # Block Public Access no longer guards the bucket
    check = website.check_public_policy_refused(ws, probe)
    assert not check.ok and check.evidence == f"the policy was accepted: {probe.name} is now public"
    # The probe stays public until it is deleted: the check undoes nothing.
    assert "PublicReadObjects" in ws.client("s3").get_bucket_policy(Bucket=probe.name)["Policy"]


# -- the website endpoint --------------------------------------------------------------------------

INDEX = (paths.web_dir() / "index.html").read_bytes()
ERROR = (paths.web_dir() / "error.html").read_bytes()
HTML = "text/html; charset=utf-8"


def _site(url: str) -> website.Website:
    return website.Website(
        "site", "http://site.s3-website-us-east-1.amazonaws.com", url, "index.html", "error.html"
    )


def _public_site(request: Request) -> tuple[int, str, bytes]:
    return (200, HTML, INDEX) if request.path in {"/", "/index.html"} else (403, HTML, ERROR)


def test_website_passes_on_the_index_page_and_the_error_page(ws: Workshop) -> None:
    with http_server(_public_site) as url:
        home = website.check_website(ws, _site(url), "/", expect=200, contains="Mythical Mysfits")
        missing = website.check_website(
            ws, _site(url), "/no-such-page.html", expect=403, contains="Lost in the woods"
        )
    assert home.ok and home.evidence.startswith(f"HTTP 200 {HTML}: '<!doctype html>")
    assert missing.ok and missing.evidence.startswith("HTTP 403")


def test_website_fails_when_the_policy_was_removed(ws: Workshop) -> None:
    with http_server(
        lambda request: (403, "application/xml", b"<Error><Code>AccessDenied</Code></Error>")
    ) as url:
        check = website.check_website(ws, _site(url), "/", expect=200, contains="Mythical Mysfits")
    assert not check.ok and check.evidence.startswith("HTTP 403 application/xml")


def test_website_fails_when_it_serves_something_else(ws: Workshop) -> None:
    with http_server(lambda request: (200, HTML, b"<html>Welcome to nginx!</html>")) as url:
        check = website.check_website(ws, _site(url), "/", expect=200, contains="Mythical Mysfits")
    assert not check.ok and "Welcome to nginx!" in check.evidence
