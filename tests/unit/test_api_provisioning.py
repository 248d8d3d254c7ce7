"""Module 4's API provisioning, call by call: import once, overwrite only a changed document,
deploy only a new document, throttle the stage, wait for the VPC link and say why it failed.

API Gateway's answers come from a botocore Stubber with AWS's shapes (moto cannot import an
OpenAPI document with these extensions); each test also proves no other call was made.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import ANY

from mysfits import api, apidocument
from mysfits.loadbalancer import LoadBalancer
from mysfits.workshop import Workshop

from .fakes import stub

DOCUMENT: dict[str, Any] = {"openapi": "3.0.1", "info": {"title": "unit-api"}, "paths": {}}
SHA = apidocument.digest(DOCUMENT)
BALANCER = LoadBalancer("arn:nlb/new", "nlb.example", "arn:tg", "arn:l", "http://nlb", "http://x")


def _listed(ws: Workshop) -> dict[str, Any]:
    return {"id": "a1", "name": ws.names.rest_api, "tags": ws.tags}


def _put(apigateway: Any) -> None:
    apigateway.add_response(
        "put_rest_api",
        {"id": "a1"},
        {"restApiId": "a1", "mode": "overwrite", "failOnWarnings": True, "body": ANY},
    )


def test_a_new_api_is_created_tagged_and_regional_then_filled(ws: Workshop) -> None:
    apigateway = stub(ws, "apigateway")
    apigateway.add_response("get_rest_apis", {"items": []}, {})
    apigateway.add_response(
        "create_rest_api",
        {"id": "a1", "name": ws.names.rest_api},
        {
            "name": ws.names.rest_api,
            "description": "",
            "endpointConfiguration": {"types": ["REGIONAL"]},
            "tags": ws.tags,
        },
    )
    _put(apigateway)
    assert api.ensure_rest_api(ws, DOCUMENT) == api.RestApi("a1", ws.names.rest_api, SHA, True)
    apigateway.assert_no_pending_responses()


def test_a_document_the_stage_serves_already_changes_nothing(ws: Workshop) -> None:
    apigateway = stub(ws, "apigateway")
    apigateway.add_response("get_rest_apis", {"items": [_listed(ws)]})
    apigateway.add_response("get_stage", _stage({"document": SHA}, 100.0, 200))
    assert api.ensure_rest_api(ws, DOCUMENT).changed is False
    apigateway.assert_no_pending_responses()


def test_a_changed_document_overwrites_the_api_it_finds(ws: Workshop) -> None:
    apigateway = stub(ws, "apigateway")
    others = {"id": "b2", "name": ws.names.rest_api, "tags": {"workshop-prefix": "someone"}}
    apigateway.add_response("get_rest_apis", {"items": [others, _listed(ws)]})
    apigateway.add_response("get_stage", _stage({"document": "older"}, 100.0, 200))
    _put(apigateway)
    assert api.ensure_rest_api(ws, DOCUMENT) == api.RestApi("a1", ws.names.rest_api, SHA, True)
    apigateway.assert_no_pending_responses()


def test_an_api_never_deployed_gets_the_document_again(ws: Workshop) -> None:
    apigateway = stub(ws, "apigateway")
    apigateway.add_response("get_rest_apis", {"items": [_listed(ws)]})
    apigateway.add_client_error("get_stage", "NotFoundException", "Invalid stage identifier")
    _put(apigateway)
    assert api.ensure_rest_api(ws, DOCUMENT).changed is True
    apigateway.assert_no_pending_responses()


def _stage(variables: dict[str, str], rate: float | None, burst: int | None) -> dict[str, Any]:
    settings = {"*/*": {"throttlingRateLimit": rate, "throttlingBurstLimit": burst}}
    return {
        "stageName": "prod",
        "deploymentId": "d1",
        "variables": variables,
        **({"methodSettings": settings} if rate is not None else {}),
    }


def test_a_new_document_is_deployed_and_the_stage_throttled(ws: Workshop) -> None:
    apigateway = stub(ws, "apigateway")
    where = {"restApiId": "a1", "stageName": "prod"}
    apigateway.add_client_error("get_stage", "NotFoundException", "Invalid stage identifier")
    apigateway.add_response(
        "create_deployment",
        {"id": "d1"},
        {**where, "description": f"document {SHA[:12]}", "variables": {"document": SHA}},
    )
    apigateway.add_response("get_stage", _stage({"document": SHA}, None, None), where)
    apigateway.add_response(
        "update_stage",
        {},
        {
            **where,
            "patchOperations": [
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100.0"},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "200"},
            ],
        },
    )
    apigateway.add_response("get_stage", _stage({"document": SHA}, 100.0, 200), where)
    stage = api.deploy_stage(ws, api.RestApi("a1", "unit-api", SHA, True))
    assert (stage.deployed, stage.rate_limit, stage.burst_limit) == (True, 100.0, 200)
    assert stage.aws_url == "https://a1.execute-api.us-east-1.amazonaws.com/prod" == stage.url
    apigateway.assert_no_pending_responses()


def test_a_stage_serving_the_document_is_not_deployed_again(ws: Workshop) -> None:
    apigateway = stub(ws, "apigateway")
    apigateway.add_response("get_stage", _stage({"document": SHA}, 100.0, 200))
    assert api.deploy_stage(ws, api.RestApi("a1", "unit-api", SHA, False)).deployed is False
    apigateway.assert_no_pending_responses()


def _link(ws: Workshop, link_id: str, target: str, status: str) -> dict[str, Any]:
    return {
        "id": link_id,
        "name": ws.names.vpc_link,
        "targetArns": [target],
        "status": status,
        "tags": ws.tags,
    }


def test_a_link_to_a_replaced_balancer_is_left_and_a_new_one_made(ws: Workshop) -> None:
    apigateway = stub(ws, "apigateway")
    apigateway.add_response(
        "get_vpc_links", {"items": [_link(ws, "old", "arn:nlb/old", "AVAILABLE")]}
    )
    apigateway.add_response(
        "create_vpc_link",
        _link(ws, "new", BALANCER.arn, "PENDING"),
        {
            "name": ws.names.vpc_link,
            "description": ANY,
            "targetArns": [BALANCER.arn],
            "tags": ws.tags,
        },
    )
    apigateway.add_response("get_vpc_link", _link(ws, "new", BALANCER.arn, "AVAILABLE"))
    link = api.ensure_vpc_link(ws, BALANCER)
    assert (link.id, link.status, link.target_arn) == ("new", "AVAILABLE", BALANCER.arn)
    apigateway.assert_no_pending_responses()


def test_a_failed_link_says_why_and_what_to_do(ws: Workshop) -> None:
    apigateway = stub(ws, "apigateway")
    failed = {**_link(ws, "l1", BALANCER.arn, "FAILED"), "statusMessage": "NLB is internal"}
    apigateway.add_response("get_vpc_link", failed, {"vpcLinkId": "l1"})
    with pytest.raises(api.VpcLinkFailed, match="NLB is internal.*delete it"):
        api.wait_for_vpc_link(ws, api.VpcLink("l1", ws.names.vpc_link, BALANCER.arn, "PENDING"))


def test_stale_links_go_once_the_api_no_longer_names_them(ws: Workshop) -> None:
    apigateway = stub(ws, "apigateway")
    listed = [
        _link(ws, "old", "arn:nlb/old", "AVAILABLE"),
        _link(ws, "new", BALANCER.arn, "AVAILABLE"),
    ]
    apigateway.add_response("get_vpc_links", {"items": listed})
    apigateway.add_client_error(
        "delete_vpc_link", "BadRequestException", "Cannot delete vpc link: it is referenced"
    )
    apigateway.add_response("delete_vpc_link", {}, {"vpcLinkId": "old"})
    apigateway.add_client_error("get_vpc_link", "NotFoundException", "Invalid vpc link")
    keep = api.VpcLink("new", ws.names.vpc_link, BALANCER.arn, "AVAILABLE")
    stale = api.delete_stale_vpc_links(ws, keep, sleep=lambda seconds: None)
    assert stale == ["old"]
    apigateway.assert_no_pending_responses()  # refused once, deleted on the retry, then gone
