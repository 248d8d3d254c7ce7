"""A notebook whose local cloud has gone says so, and how to start it again."""

from __future__ import annotations

import socket

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from mysfits.errors import LocalCloudNotRunning, LocalCloudStopped
from mysfits.workshop import Workshop


def dead_endpoint() -> str:
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def workshop(endpoint_url: str | None) -> Workshop:
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    return Workshop(
        "local" if endpoint_url else "aws", "us-east-1", "t", session, "123456789012", endpoint_url
    )


@pytest.mark.parametrize("anonymous", [False, True])
def test_a_call_to_a_stopped_local_cloud_names_the_fix(anonymous: bool) -> None:
    url = dead_endpoint()
    ws = workshop(url)
    s3 = ws.anonymous_client("s3") if anonymous else ws.client("s3")
    with pytest.raises(LocalCloudStopped) as raised:
        s3.list_buckets()
    message = str(raised.value)
    assert url in message and "stopped answering" in message
    assert "mysfits local start --detach" in message and "local-cloud.log" in message
    # Still the error botocore would have raised, for code that handles connection errors.
    assert isinstance(raised.value, EndpointConnectionError)
    assert isinstance(raised.value, LocalCloudNotRunning)
    assert isinstance(raised.value.__cause__, EndpointConnectionError)


def test_endpoints_of_a_stopped_local_cloud_names_the_fix() -> None:
    with pytest.raises(LocalCloudStopped, match="mysfits local start --detach"):
        workshop(dead_endpoint()).url("http://site.s3-website-us-east-1.amazonaws.com/")


def test_on_aws_a_connection_error_is_left_as_it_is() -> None:
    ws = workshop(None)
    s3 = ws.session.client("s3", endpoint_url=dead_endpoint())
    ws._clients["s3"] = ws._watched(s3)
    with pytest.raises(EndpointConnectionError) as raised:
        ws.client("s3").list_buckets()
    assert not isinstance(raised.value, LocalCloudStopped)
