"""The public URLs AWS gives resources, computed the same way for both targets."""

from __future__ import annotations

# Regions whose website endpoints use a dash before the region; all newer ones use a dot.
_DASH_WEBSITE_REGIONS = {
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "us-gov-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
    "eu-west-1",
}


def website_host(bucket: str, region: str) -> str:
    """The S3 website endpoint host of `bucket` in `region`."""
    separator = "-" if region in _DASH_WEBSITE_REGIONS else "."
    return f"{bucket}.s3-website{separator}{region}.amazonaws.com"


def website_url(bucket: str, region: str) -> str:
    """The S3 website endpoint URL (website endpoints speak HTTP only)."""
    return f"http://{website_host(bucket, region)}"
