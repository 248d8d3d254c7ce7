"""Fixtures for the checks' unit tests: AWS in-process (moto), with no real account reachable."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from mysfits.workshop import Workshop

_AWS_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "MYSFITS_ENDPOINT_URL")


@pytest.fixture(scope="session")
def session() -> boto3.Session:
    """One session for every test: it parses each service model once, not once per test.

    Its credentials are fixed, so a developer's real ones are never used.
    """
    return boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )


@pytest.fixture
def ws(session: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workshop]:
    """A workshop on the `aws` target whose calls moto answers in-process (no network)."""
    for name in _AWS_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # for clients made outside the workshop
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        account = session.client("sts").get_caller_identity()["Account"]
        yield Workshop("aws", "us-east-1", "unit", session, account)
