"""S3 since April 2023: private by default, public policies refused, anonymous least privilege."""

from __future__ import annotations

import json

import pytest
import requests
from botocore.exceptions import ClientError

from mysfits import website
from mysfits.errors import error_code, http_status
from mysfits.workshop import Workshop


@pytest.fixture
def bucket(ws: Workshop) -> str:
    name = f"{ws.prefix}-fidelity"
    ws.client("s3").create_bucket(Bucket=name)
    ws.client("s3").put_object(
        Bucket=name, Key="index.html", Body=b"<h1>hi</h1>", ContentType="text/html"
    )
    return name


def _refusal(call, **params) -> tuple[int, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return http_status(caught.value), error_code(caught.value)


def test_new_bucket_blocks_public_access_and_disables_acls(ws: Workshop, bucket: str) -> None:
    s3 = ws.client("s3")
    assert (
        s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        == website.ALL_BLOCKED
    )
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_creating_an_existing_bucket_keeps_its_settings(ws: Workshop, bucket: str) -> None:
    s3 = ws.client("s3")
    website.allow_public_policies(ws, bucket)
    s3.create_bucket(Bucket=bucket)  # us-east-1 answers 200 for your own bucket
    assert (
        s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        == website.POLICIES_ALLOWED
    )


def test_public_policy_refused_while_blocked(ws: Workshop, bucket: str) -> None:
    s3 = ws.client("s3")
    policy = json.dumps(website.public_read_policy(bucket))
    assert _refusal(s3.put_bucket_policy, Bucket=bucket, Policy=policy) == (403, "AccessDenied")
    assert _refusal(s3.get_bucket_policy, Bucket=bucket)[1] == "NoSuchBucketPolicy"


def test_non_public_policy_accepted_while_blocked(ws: Workshop, bucket: str) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ws.account_id}:root"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    ws.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert json.loads(ws.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]) == policy


def test_malformed_policy_refused(ws: Workshop, bucket: str) -> None:
    s3 = ws.client("s3")
    assert _refusal(s3.put_bucket_policy, Bucket=bucket, Policy="{nope") == (400, "MalformedPolicy")
    wrong_bucket = json.dumps(website.public_read_policy("someone-elses-bucket"))
    website.allow_public_policies(ws, bucket)
    assert _refusal(s3.put_bucket_policy, Bucket=bucket, Policy=wrong_bucket) == (
        400,
        "MalformedPolicy",
    )


def test_anonymous_without_policy_gets_nothing(ws: Workshop, bucket: str) -> None:
    anonymous = ws.anonymous_client("s3")
    assert _refusal(anonymous.get_object, Bucket=bucket, Key="index.html") == (403, "AccessDenied")
    assert _refusal(anonymous.list_objects_v2, Bucket=bucket) == (403, "AccessDenied")
    assert _refusal(anonymous.put_object, Bucket=bucket, Key="graffiti.txt", Body=b"x") == (
        403,
        "AccessDenied",
    )
    assert _refusal(anonymous.get_object, Bucket="no-such-bucket-here", Key="x") == (
        404,
        "NoSuchBucket",
    )
    assert _refusal(anonymous.list_buckets) == (403, "AccessDenied")  # moto listed every bucket
    assert bucket in [b["Name"] for b in ws.client("s3").list_buckets()["Buckets"]]
    assert "graffiti.txt" not in [
        o["Key"] for o in ws.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    ]


def test_get_object_policy_allows_reads_only(ws: Workshop, bucket: str) -> None:
    website.ensure_public_read(ws, bucket)
    anonymous = ws.anonymous_client("s3")
    assert anonymous.get_object(Bucket=bucket, Key="index.html")["Body"].read() == b"<h1>hi</h1>"
    assert _refusal(anonymous.list_objects_v2, Bucket=bucket) == (403, "AccessDenied")
    assert _refusal(anonymous.get_object, Bucket=bucket, Key="missing.html") == (
        403,
        "AccessDenied",
    )
    assert _refusal(anonymous.put_object, Bucket=bucket, Key="graffiti.txt", Body=b"x") == (
        403,
        "AccessDenied",
    )
    assert _refusal(anonymous.delete_object, Bucket=bucket, Key="index.html")[0] == 403
    raw = requests.put(f"{ws.endpoint_url}/{bucket}/raw.txt", data=b"x", timeout=5)
    assert raw.status_code == 403 and b"<Code>AccessDenied</Code>" in raw.content


def test_listing_grant_turns_missing_keys_into_404(ws: Workshop, bucket: str) -> None:
    website.ensure_public_read(ws, bucket, allow_list=True)
    anonymous = ws.anonymous_client("s3")
    assert [o["Key"] for o in anonymous.list_objects_v2(Bucket=bucket)["Contents"]] == [
        "index.html"
    ]
    assert _refusal(anonymous.get_object, Bucket=bucket, Key="missing.html") == (404, "NoSuchKey")


def test_restrict_public_buckets_cuts_anonymous_access(ws: Workshop, bucket: str) -> None:
    website.ensure_public_read(ws, bucket)
    ws.client("s3").put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration=website.ALL_BLOCKED
    )
    assert _refusal(ws.anonymous_client("s3").get_object, Bucket=bucket, Key="index.html") == (
        403,
        "AccessDenied",
    )


DOCUMENTS = {
    "put_public_access_block": {"PublicAccessBlockConfiguration": {"BlockPublicAcls": True}},
    "put_bucket_tagging": {"Tagging": {"TagSet": [{"Key": "a", "Value": "b"}]}},
    "put_bucket_lifecycle_configuration": {
        "LifecycleConfiguration": {
            "Rules": [
                {
                    "ID": "r",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": 1},
                }
            ]
        }
    },
    "put_bucket_website": {"WebsiteConfiguration": {"IndexDocument": {"Suffix": "index.html"}}},
}


def cut_body(request, **_) -> None:
    """Cut the document botocore built short in the middle (and drop its checksums)."""
    request.data = request.body[: len(request.body) // 2]
    for name in [h for h in request.headers if "checksum" in h.lower() or h == "Content-MD5"]:
        del request.headers[name]


@pytest.mark.parametrize("operation", sorted(DOCUMENTS))
def test_malformed_configuration_documents_are_400_malformed_xml(
    ws: Workshop, bucket: str, operation: str
) -> None:
    s3 = ws.client("s3")
    call = getattr(s3, operation)
    handler = f"before-sign.s3.{s3.meta.method_to_api_mapping[operation]}"
    s3.meta.events.register(handler, cut_body)
    try:
        assert _refusal(call, Bucket=bucket, **DOCUMENTS[operation]) == (400, "MalformedXML")
    finally:
        s3.meta.events.unregister(handler, cut_body)
    call(Bucket=bucket, **DOCUMENTS[operation])  # whole, it is accepted


def test_a_website_without_an_index_document_is_refused(ws: Workshop, bucket: str) -> None:
    s3 = ws.client("s3")
    assert _refusal(s3.get_bucket_website, Bucket=bucket) == (404, "NoSuchWebsiteConfiguration")
    for refused in ({"ErrorDocument": {"Key": "e.html"}}, {"IndexDocument": {"Suffix": "a/i"}}):
        assert _refusal(s3.put_bucket_website, Bucket=bucket, WebsiteConfiguration=refused) == (
            400,
            "InvalidArgument",
        )
    assert _refusal(s3.get_bucket_website, Bucket=bucket) == (404, "NoSuchWebsiteConfiguration")
    assert bucket not in [e["name"] for e in ws.endpoints()]
