"""AWS answers become the domain errors that say what to do; other answers are not swallowed.

A real botocore S3 client with a Stubber stands in for AWS, so the requests are validated
against the service model; the answers are the ones AWS documents.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from mysfits import website
from mysfits.errors import BucketNameTaken, ResourceNotFound

NAME = "mysfits-site-123456789012-us-east-1"


@pytest.fixture
def s3() -> Iterator[Stubber]:
    client = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def workshop(stubber: Stubber) -> Any:
    return SimpleNamespace(client=lambda service: stubber.client, region="us-east-1")


def test_another_accounts_bucket_is_taken_with_a_message_saying_what_to_do(s3: Stubber) -> None:
    # HeadBucket has no body: botocore reports the HTTP status as the code.
    s3.add_client_error("head_bucket", service_error_code="403", http_status_code=403)
    with pytest.raises(
        BucketNameTaken, match="taken by another AWS account .* bucket_name parameter"
    ):
        website.create_bucket(workshop(s3), NAME)


def test_a_name_taken_between_the_check_and_the_create_is_taken_too(s3: Stubber) -> None:
    s3.add_client_error("head_bucket", service_error_code="404", http_status_code=404)
    s3.add_client_error(
        "create_bucket", service_error_code="BucketAlreadyExists", http_status_code=409
    )
    with pytest.raises(
        BucketNameTaken, match="choose another with the notebook's bucket_name parameter"
    ):
        website.create_bucket(workshop(s3), NAME)


def test_a_missing_site_bucket_says_which_notebook_to_run(s3: Stubber) -> None:
    s3.add_client_error("head_bucket", service_error_code="404", http_status_code=404)
    with pytest.raises(ResourceNotFound, match="run notebook 01 first"):
        website.find_site_bucket(
            SimpleNamespace(**vars(workshop(s3)), names=SimpleNamespace(site_bucket=NAME))
        )


def test_a_server_error_is_not_mistaken_for_a_missing_bucket(s3: Stubber) -> None:
    s3.add_client_error("head_bucket", service_error_code="500", http_status_code=500)
    with pytest.raises(ClientError):
        website.create_bucket(workshop(s3), NAME)


def test_a_bucket_without_website_hosting_says_which_notebook_to_run(s3: Stubber) -> None:
    s3.add_client_error(
        "get_bucket_website", service_error_code="NoSuchWebsiteConfiguration", http_status_code=404
    )
    with pytest.raises(
        ResourceNotFound, match=f"bucket {NAME} has no website hosting: run notebook 01 first"
    ):
        website.find_website(workshop(s3), NAME)


def test_no_block_public_access_configuration_counts_as_every_setting_off(s3: Stubber) -> None:
    s3.add_client_error(
        "get_public_access_block",
        service_error_code="NoSuchPublicAccessBlockConfiguration",
        http_status_code=404,
    )
    check = website.check_block_public_access(workshop(s3), NAME, expect=website.ALL_BLOCKED)
    assert not check.ok and check.details["actual"] == dict.fromkeys(website.ALL_BLOCKED, False)


def test_deleting_a_bucket_that_is_gone_is_false_but_access_denied_raises(s3: Stubber) -> None:
    s3.add_client_error(
        "list_object_versions", service_error_code="NoSuchBucket", http_status_code=404
    )
    assert website.delete_site_bucket(workshop(s3), NAME) is False
    s3.add_client_error(
        "list_object_versions", service_error_code="AccessDenied", http_status_code=403
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        website.delete_site_bucket(workshop(s3), NAME)
