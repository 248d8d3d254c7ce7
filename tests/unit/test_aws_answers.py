"""The resource modules read AWS's answers through the idioms: domain errors that say what to do,
"absent" and "gone" only for the codes that mean it, retries only while a condition passes.

Real botocore clients with a Stubber stand in for AWS, so the requests are validated against
the service model; the answers are the ones AWS documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from mysfits import fargate, website
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
    names = SimpleNamespace(
        site_bucket=NAME, cluster="mysfits-cluster", task_family="mysfits-service"
    )
    return SimpleNamespace(client=lambda service: stubber.client, region="us-east-1", names=names)


@pytest.fixture
def ecs() -> Iterator[Stubber]:
    client = boto3.client(
        "ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


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
        website.find_site_bucket(workshop(s3))


def test_a_server_error_is_not_mistaken_for_a_missing_bucket(s3: Stubber) -> None:
    s3.add_client_error("head_bucket", service_error_code="500", http_status_code=500)
    with pytest.raises(ClientError, match=r"\(500\) when calling the HeadBucket operation"):
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


# -- ECS -------------------------------------------------------------------------------------------


def test_a_cluster_still_stopping_its_tasks_is_deleted_once_it_may_be(ecs: Stubber) -> None:
    ecs.add_client_error(
        "delete_cluster",
        service_error_code="ClusterContainsTasksException",
        service_message="The Cluster cannot be deleted while Tasks are active.",
    )
    ecs.add_response(
        "delete_cluster",
        {"cluster": {"clusterName": "mysfits-cluster"}},
        expected_params={"cluster": "mysfits-cluster"},
    )
    assert fargate.delete_cluster(workshop(ecs)) is True


def test_deleting_a_cluster_that_is_gone_is_false_and_denied_raises(ecs: Stubber) -> None:
    ecs.add_client_error("delete_cluster", service_error_code="ClusterNotFoundException")
    assert fargate.delete_cluster(workshop(ecs)) is False
    ecs.add_client_error("delete_cluster", service_error_code="AccessDeniedException")
    with pytest.raises(ClientError, match="AccessDeniedException"):
        fargate.delete_cluster(workshop(ecs))


def test_a_denied_task_definition_lookup_is_not_taken_for_a_missing_one(ecs: Stubber) -> None:
    network = SimpleNamespace(task_execution_role_arn="arn:x", task_role_arn="arn:y")
    image = SimpleNamespace(
        uri="123456789012.dkr.ecr.us-east-1.amazonaws.com/mysfits/service:src-1"
    )
    ws = workshop(ecs)
    ws.names.log_group, ws.tag_list = "/mysfits/service", lambda *_: []
    ws.names.service = "mysfits-service"
    # No service yet (its cluster is missing): the family's latest revision is looked up.
    ecs.add_client_error("describe_services", service_error_code="ClusterNotFoundException")
    ecs.add_client_error(
        "describe_task_definition",
        service_error_code="ClientException",
        service_message="User is not authorized to perform ecs:DescribeTaskDefinition",
    )
    with pytest.raises(ClientError, match="not authorized"):
        fargate.ensure_task_definition(ws, network, image)  # type: ignore[arg-type]
