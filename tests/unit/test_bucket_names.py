"""S3 bucket naming rules: the outline's good names pass, each broken rule is named."""

import pytest

from mysfits.website import InvalidBucketName, validate_bucket_name


@pytest.mark.parametrize(
    "name", ["my-eu-bucket-3", "my-project-x", "4my-group", "abc", "a" * 63, "my.site.bucket"]
)
def test_good_names_pass(name: str) -> None:
    assert validate_bucket_name(name) == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("ab", "3 to 63 characters"),
        ("a" * 64, "3 to 63 characters"),
        ("My-Bucket", "lowercase letters"),
        ("my_bucket", "lowercase letters"),
        ("my bucket", "lowercase letters"),
        ("-mybucket", "begin and end with a letter or digit"),
        ("mybucket-", "begin and end with a letter or digit"),
        ("my.-bucket", "begin and end with a letter or digit"),
        ("my..bucket", "adjacent periods"),
        ("192.168.5.4", "IP address"),
        ("xn--bucket", "reserved prefix 'xn--'"),
        ("sthree-bucket", "reserved prefix 'sthree-'"),
        ("amzn-s3-demo-bucket", "reserved prefix 'amzn-s3-demo-'"),
        ("bucket-s3alias", "reserved suffix '-s3alias'"),
        ("bucket--ol-s3", "reserved suffix '--ol-s3'"),
        ("bucket.mrap", "reserved suffix '.mrap'"),
        ("bucket--x-s3", "reserved suffix '--x-s3'"),
        ("bucket--table-s3", "reserved suffix '--table-s3'"),
    ],
)
def test_each_rule_is_named(name: str, rule: str) -> None:
    with pytest.raises(
        InvalidBucketName, match=rule.replace(".", r"\.").replace("(", r"\(")
    ) as caught:
        validate_bucket_name(name)
    assert isinstance(caught.value, ValueError)


def test_non_string_is_refused() -> None:
    with pytest.raises(InvalidBucketName, match="must be a string"):
        validate_bucket_name(None)  # type: ignore[arg-type]
