"""Module 4's library on a local cloud: users, the VPC link, the API and its stage, the closed NLB.

Deployed once for the module as notebooks 02 and 03 do it (core stack, build-context image, a
seeded table, the NLB with its security group, two tasks), plus the user pool, with the service
configured to verify the pool's tokens. Then, in order, as notebook 04 runs: the API proxies every
route through the VPC link; a like needs a valid ID token; the NLB's own address is closed and
stays closed when module 2 runs again; cleanup removes the API and the link.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import jwt
import pytest
import requests

import mysfits
from mysfits import (
    account,
    api,
    apichecks,
    cleanup,
    loadbalancer,
    network,
    nlbaccess,
    serviceapi,
    serviceurl,
    users,
)
from mysfits.checks import require
from mysfits.workshop import Workshop

from .servicestack import api_document, deploy_service, seeded_table

pytestmark = [pytest.mark.integration, pytest.mark.in_order]

DESIRED = 2
EMAIL = "learner@example.com"
PASSWORD = "Mysfits2024"
GRETTA = "a90780e4-7dd7-515e-baba-52b2038f1870"


@dataclass(frozen=True)
class Deployment:
    ws: Workshop
    core: network.CoreNetwork
    balancer: loadbalancer.LoadBalancer
    pool: users.UserPool
    client: users.AppClient


@pytest.fixture(scope="module")
def deployment(local_cloud: dict[str, object]) -> Iterator[Deployment]:
    """Modules 2 and 3 without the pipeline, and module 4's pool; everything deleted afterwards."""
    ws = mysfits.connect(
        "local", prefix=f"t{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    try:
        table = seeded_table(ws)
        pool = users.ensure_user_pool(ws)
        client = users.ensure_app_client(ws, pool)
        deployed = deploy_service(ws, table, DESIRED, users.service_environment(ws), timeout=120)
        core, balancer = deployed.core, deployed.balancer
        yield Deployment(ws, core, balancer, pool, client)
    finally:
        cleanup.delete_everything(ws)


@pytest.fixture(scope="module")
def stage(deployment: Deployment) -> api.Stage:
    ws, balancer = deployment.ws, deployment.balancer
    link = api.ensure_vpc_link(ws, balancer)
    assert link.status == "AVAILABLE" and link.target_arn == balancer.arn
    document = api_document(ws, balancer, link, deployment.pool)
    rest_api = api.ensure_rest_api(ws, document)
    deployed = api.deploy_stage(ws, rest_api)
    assert rest_api.changed and deployed.deployed
    return deployed


@pytest.fixture(scope="module")
def token(deployment: Deployment) -> str:
    ws = deployment.ws
    learner = account.ensure_confirmed_user(ws, deployment.pool, deployment.client, EMAIL, PASSWORD)
    assert (learner.signed_up, learner.confirmed, learner.status) == (True, True, "CONFIRMED")
    again = account.ensure_confirmed_user(ws, deployment.pool, deployment.client, EMAIL, PASSWORD)
    assert (again.signed_up, again.confirmed) == (False, False)
    return users.sign_in(ws, deployment.client, EMAIL, PASSWORD).id_token


def test_the_stage_proxies_every_route_and_a_rerun_changes_nothing(
    deployment: Deployment, stage: api.Stage
) -> None:
    ws = deployment.ws
    assert stage.aws_url == f"https://{stage.api_id}.execute-api.{ws.region}.amazonaws.com/prod"
    assert (stage.rate_limit, stage.burst_limit) == (api.RATE_LIMIT, api.BURST_LIMIT)
    require(
        serviceapi.check_list(stage.url, expect_count=12),
        serviceapi.check_filter(stage.url, "GoodEvil", "Evil", expect_count=4),
        serviceapi.check_status(stage.url, f"/mysfits/{GRETTA}", expect=200),
        serviceapi.check_status(stage.url, "/mysfits?filter=Colour&value=Red", expect=400),
        apichecks.check_unknown_route(stage.url),
        apichecks.check_preflight(stage.url, f"/mysfits/{GRETTA}/like"),
    )
    link = api.ensure_vpc_link(ws, deployment.balancer)
    document = api_document(ws, deployment.balancer, link, deployment.pool)
    again = api.ensure_rest_api(ws, document)
    assert (again.id, again.changed) == (stage.api_id, False)
    unchanged = dataclasses.replace(stage, deployed=False)
    assert api.deploy_stage(ws, again) == unchanged and api.find_stage(ws) == unchanged


def test_likes_need_a_valid_id_token(deployment: Deployment, stage: api.Stage, token: str) -> None:
    head, body, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    unsigned = jwt.encode({**claims, "sub": "someone-else"}, key=None, algorithm="none")
    require(
        apichecks.check_unauthorized(stage.url, GRETTA),
        apichecks.check_unauthorized(stage.url, GRETTA, f"{head}.{body}.{signature[:-4]}AAAA"),
        apichecks.check_unauthorized(stage.url, GRETTA, unsigned, what="alg none"),
        apichecks.check_like_with_token(stage.url, GRETTA, token),
        apichecks.check_adopt_with_token(
            stage.url, serviceapi.adoption_candidate(stage.url), token
        ),
    )


def test_the_direct_path_closes_and_module_2_keeps_it_closed(
    deployment: Deployment, stage: api.Stage
) -> None:
    ws, balancer = deployment.ws, deployment.balancer
    assert serviceurl.public_url(ws, balancer) == balancer.url
    assert not nlbaccess.check_direct_path_closed(ws, balancer, GRETTA).ok  # open until now
    # Defence in depth: the service itself refuses a like without a token on the open path.
    direct = requests.post(f"{balancer.url}/mysfits/{GRETTA}/like", timeout=10)
    assert direct.status_code == 401, direct.text
    nlbaccess.close_direct_path(ws, balancer)
    require(
        nlbaccess.check_direct_path_closed(ws, balancer, GRETTA),
        serviceapi.check_list(stage.url, expect_count=12),
    )
    again = loadbalancer.ensure_load_balancer(ws, deployment.core)
    assert dataclasses.replace(again, replaced="") == balancer
    require(nlbaccess.check_direct_path_closed(ws, again, GRETTA))
    assert serviceurl.public_url(ws, balancer) == stage.url


def test_cleanup_removes_the_api_and_its_link(deployment: Deployment, stage: api.Stage) -> None:
    ws = deployment.ws
    kinds = {left.kind for left in api.leftovers(ws)}
    assert kinds == {"rest api", "vpc link"}
    assert api.delete_rest_api(ws) is True
    assert len(api.delete_vpc_links(ws)) == 1
    assert list(api.leftovers(ws)) == [] and api.find_stage(ws) is None
    assert api.delete_rest_api(ws) is False and api.delete_vpc_links(ws) == []
