"""Who may do what to a bucket, read from moto's S3 state: BPA and anonymous access.

Shared by the S3 API fixes and the website endpoints, so both answer alike.
"""

from __future__ import annotations

from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.s3.models import FakeBucket, PublicAccessBlock, S3Backend, s3_backends

from .policy import MalformedPolicy, Statement, anonymous_decision, is_public, parse_policy


def backend(account_id: str = DEFAULT_ACCOUNT_ID) -> S3Backend:
    """moto's S3 state for the account (S3 is global in moto)."""
    return s3_backends[account_id]["global"]


def find_bucket(name: str) -> FakeBucket | None:
    """The bucket called `name`, or None."""
    return backend().buckets.get(name)


def all_blocked() -> PublicAccessBlock:
    """Block Public Access with all four settings on, as new buckets get since April 2023."""
    return PublicAccessBlock(True, True, True, True)


def statements(bucket: FakeBucket) -> list[Statement]:
    """The bucket's policy statements ([] without a policy)."""
    if not bucket.policy:
        return []
    try:
        return parse_policy(bucket.policy.decode(), bucket.name)
    except MalformedPolicy:
        return []  # only well-formed policies are ever stored through our fix


def _restricted(bucket: FakeBucket, policy: list[Statement]) -> bool:
    block: Any = bucket.public_access_block
    return bool(block is not None and block.restrict_public_buckets and is_public(policy))


def anonymous_may(bucket: FakeBucket, action: str, key: str | None = None) -> bool:
    """Whether an unsigned caller may perform `action` on the bucket (or on `key` in it)."""
    policy = statements(bucket)
    if _restricted(bucket, policy):
        return False
    resource = f"arn:aws:s3:::{bucket.name}" + (f"/{key}" if key is not None else "")
    return anonymous_decision(policy, action, resource) == "allow"


def blocks_public_policy(bucket: FakeBucket) -> bool:
    """Whether BlockPublicPolicy is on for the bucket."""
    block: Any = bucket.public_access_block
    return bool(block is not None and block.block_public_policy)
