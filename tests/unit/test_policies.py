"""The site's policy builder and the local cloud's reading of S3 bucket policies."""

import json

import pytest

from mysfits.local.s3.policy import MalformedPolicy, anonymous_decision, is_public, parse_policy
from mysfits.website import public_read_policy


def test_read_policy_is_least_privilege() -> None:
    policy = public_read_policy("site-bucket")
    assert policy["Version"] == "2012-10-17"
    assert policy["Statement"] == [
        {
            "Sid": "PublicReadObjects",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::site-bucket/*",
        }
    ]


def test_read_policy_can_add_listing() -> None:
    statements = public_read_policy("site-bucket", allow_list=True)["Statement"]
    assert [s["Action"] for s in statements] == ["s3:GetObject", "s3:ListBucket"]
    assert statements[1]["Resource"] == "arn:aws:s3:::site-bucket"


def test_read_policy_grants_objects_not_listing() -> None:
    statements = parse_policy(json.dumps(public_read_policy("site-bucket")), "site-bucket")
    assert is_public(statements)
    assert (
        anonymous_decision(statements, "s3:GetObject", "arn:aws:s3:::site-bucket/index.html")
        == "allow"
    )
    assert (
        anonymous_decision(statements, "s3:ListBucket", "arn:aws:s3:::site-bucket")
        == "implicit-deny"
    )
    assert (
        anonymous_decision(statements, "s3:PutObject", "arn:aws:s3:::site-bucket/x")
        == "implicit-deny"
    )


def test_explicit_deny_wins() -> None:
    doc = public_read_policy("b-1")
    doc["Statement"].append(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::b-1/private/*",
        }
    )
    statements = parse_policy(json.dumps(doc), "b-1")
    assert anonymous_decision(statements, "s3:GetObject", "arn:aws:s3:::b-1/private/a") == "deny"
    assert anonymous_decision(statements, "s3:GetObject", "arn:aws:s3:::b-1/public/a") == "allow"


def test_grant_to_an_account_is_not_public() -> None:
    doc = {
        "Statement": {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b-1/*",
        }
    }
    statements = parse_policy(json.dumps(doc), "b-1")
    assert not is_public(statements)
    assert anonymous_decision(statements, "s3:GetObject", "arn:aws:s3:::b-1/x") == "implicit-deny"


def test_fixed_source_vpc_condition_is_not_public_but_wildcard_is() -> None:
    base = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b-1/*",
    }
    fixed = {**base, "Condition": {"StringEquals": {"aws:SourceVpc": "vpc-1234"}}}
    wildcard = {**base, "Condition": {"StringLike": {"aws:SourceVpc": "vpc-*"}}}
    assert not is_public(parse_policy(json.dumps({"Statement": [fixed]}), "b-1"))
    assert is_public(parse_policy(json.dumps({"Statement": [wildcard]}), "b-1"))


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "invalid Json"),
        ('{"Version": "2012-10-17"}', "Missing required field Statement"),
        (
            '{"Statement": [{"Effect": "Maybe", "Principal": "*", '
            '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b-1/*"}]}',
            "Invalid effect",
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
            '"Resource": "arn:aws:s3:::b-1/*"}]}',
            "Missing required field Principal",
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": "*", '
            '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}]}',
            "invalid resource",
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": {"Robot": "x"}, '
            '"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b-1/*"}]}',
            "Invalid principal",
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": "*", '
            '"Action": "ec2:RunInstances", "Resource": "arn:aws:s3:::b-1/*"}]}',
            "invalid action",
        ),
    ],
)
def test_malformed_policies_are_refused_with_aws_messages(document: str, message: str) -> None:
    with pytest.raises(MalformedPolicy, match=message):
        parse_policy(document, "b-1")
