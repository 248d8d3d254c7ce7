"""Module 1's guards against stubbed S3: the policy probe never touches the site, and the
published version is read without surprises."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from mysfits import website
from mysfits.errors import WorkshopError
from mysfits.workshop import Workshop

PROBE = "p-probe-123456789012-0123abcd"


@pytest.fixture
def stubbed() -> Iterator[tuple[Workshop, Stubber]]:
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    ws = Workshop("aws", "us-east-1", "p", session, "123456789012")
    client = session.client("s3")
    ws._clients["s3"] = client
    with Stubber(client) as stubber:  # any call not added below fails the test
        yield ws, stubber
        stubber.assert_no_pending_responses()


def _expect_put_policy(stubber: Stubber) -> None:
    policy = json.dumps(website.public_read_policy(PROBE))
    stubber.add_response("put_bucket_policy", {}, {"Bucket": PROBE, "Policy": policy})


def test_refused_policy_passes(stubbed: tuple[Workshop, Stubber]) -> None:
    ws, stubber = stubbed
    stubber.add_client_error("put_bucket_policy", "AccessDenied", "Access Denied", 403)
    check = website.check_public_policy_refused(ws, PROBE)
    assert check.ok and check.evidence == f"HTTP 403 AccessDenied on {PROBE}"


def test_accepted_policy_fails_and_is_not_undone(stubbed: tuple[Workshop, Stubber]) -> None:
    ws, stubber = stubbed
    _expect_put_policy(stubber)  # and nothing after it: no DeleteBucketPolicy
    check = website.check_public_policy_refused(ws, PROBE)
    assert not check.ok and check.evidence == f"the policy was accepted: {PROBE} is now public"


def test_another_error_fails_with_its_code(stubbed: tuple[Workshop, Stubber]) -> None:
    ws, stubber = stubbed
    stubber.add_client_error("put_bucket_policy", "NoSuchBucket", "gone", 404)
    check = website.check_public_policy_refused(ws, PROBE)
    assert not check.ok and "404 NoSuchBucket" in check.evidence


def test_the_site_bucket_is_never_probed(stubbed: tuple[Workshop, Stubber]) -> None:
    ws, _ = stubbed
    with pytest.raises(WorkshopError, match="create_probe_bucket"):
        website.check_public_policy_refused(ws, ws.names.site_bucket)


def _config(stubber: Stubber, body: bytes) -> None:
    stubber.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(body), len(body))},
        {"Bucket": "site", "Key": "config.json"},
    )


@pytest.mark.parametrize(
    ("body", "version"),
    [
        (b'{"version": 2, "apiEndpoint": "http://x"}', 2),
        (b'{"apiEndpoint": "http://x"}', 0),
        (b"not json", 0),
        (b"[1, 2]", 0),
    ],
)
def test_published_version(stubbed: tuple[Workshop, Stubber], body: bytes, version: int) -> None:
    ws, stubber = stubbed
    _config(stubber, body)
    assert website.published_version(ws, "site") == version


def test_no_config_is_version_0(stubbed: tuple[Workshop, Stubber]) -> None:
    ws, stubber = stubbed
    stubber.add_client_error("get_object", "NoSuchKey", "no key", 404)
    assert website.published_version(ws, "site") == 0
