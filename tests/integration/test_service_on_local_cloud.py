"""The API's version 2 (DynamoDB backend) on a local cloud, used through the NLB's loopback URL.

Deployed once for the module as notebooks 02 and 03 do it: core stack, build-context image,
cluster, log group, load balancer, a seeded table, and a service whose task definition names
the table. Then: the filter counts, 404s that leave the table alone, 409 for a second adoption,
200 concurrent likes, and property-based fuzzing of every documented operation with schemathesis.
Fuzzing likes and adopts any mysfit; the adoption test adopts one of its own, so the tests run in
any order.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import BaseSchema, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import mysfits
from mysfits import cleanup, database, paths, serviceapi
from mysfits.workshop import Workshop

from .servicestack import deploy_service, seeded_table

pytestmark = pytest.mark.integration

DESIRED = 2
UNKNOWN = "/mysfits/00000000-0000-0000-0000-000000000000"
GRETTA = "a90780e4-7dd7-515e-baba-52b2038f1870"
COLE = "9f7376b7-1bd7-5bdd-93a6-b570e5439af1"
CONCURRENT_LIKES = 200


@dataclass(frozen=True)
class Deployment:
    ws: Workshop
    table: database.Table
    url: str  # the NLB's loopback URL


@pytest.fixture(scope="module")
def deployment(local_cloud: dict[str, object]) -> Iterator[Deployment]:
    """Deploy the service with the table once for the module; delete everything afterwards."""
    ws = mysfits.connect(
        "local", prefix=f"t{uuid.uuid4().hex[:8]}", endpoint_url=str(local_cloud["endpoint_url"])
    )
    try:
        deployed = deploy_service(ws, seeded_table(ws), DESIRED, timeout=120)
        yield Deployment(ws, deployed.table, deployed.balancer.url)
    finally:
        cleanup.delete_everything(ws)


def _likes(url: str, mysfit_id: str) -> int:
    response = requests.get(f"{url}/mysfits/{mysfit_id}", timeout=10)
    assert response.status_code == 200, response.text
    return int(response.json()["likes"])


@pytest.mark.parametrize(
    ("name", "value", "expect"),
    [
        ("GoodEvil", "Good", 4),
        ("GoodEvil", "Neutral", 4),
        ("GoodEvil", "Evil", 4),
        ("LawChaos", "Lawful", 3),
        ("LawChaos", "Neutral", 5),
        ("LawChaos", "Chaotic", 4),
    ],
)
def test_filters_give_the_workshop_counts(
    deployment: Deployment, name: str, value: str, expect: int
) -> None:
    check = serviceapi.check_filter(deployment.url, name, value, expect)
    assert check.ok, check.evidence


def test_unknown_ids_are_404_and_the_table_keeps_twelve_items(deployment: Deployment) -> None:
    found = [
        serviceapi.check_status(deployment.url, UNKNOWN, expect=404),
        serviceapi.check_status(deployment.url, f"{UNKNOWN}/like", expect=404, method="POST"),
        serviceapi.check_status(deployment.url, f"{UNKNOWN}/adopt", expect=404, method="POST"),
        database.check_item_count(deployment.ws, deployment.table, expect=12),
    ]
    assert all(found), [str(c) for c in found if not c]


@pytest.fixture
def unadopted(deployment: Deployment) -> Iterator[str]:
    """The id of a mysfit of the test's own (a copy of Cole under a new id); removed afterwards."""
    dynamodb, mysfit_id = deployment.ws.client("dynamodb"), str(uuid.uuid4())
    [cole] = [i for i in database.load_items() if i["MysfitId"] == {"S": COLE}]
    dynamodb.put_item(TableName=deployment.table.name, Item={**cole, "MysfitId": {"S": mysfit_id}})
    try:
        yield mysfit_id
    finally:
        dynamodb.delete_item(TableName=deployment.table.name, Key={"MysfitId": {"S": mysfit_id}})


def test_a_second_adoption_is_409(deployment: Deployment, unadopted: str) -> None:
    first = requests.post(f"{deployment.url}/mysfits/{unadopted}/adopt", timeout=10)
    assert first.status_code == 200 and first.json()["adopted"] is True
    second = requests.post(f"{deployment.url}/mysfits/{unadopted}/adopt", timeout=10)
    assert second.status_code == 409 and second.json()["error"]["code"] == "already_adopted"
    # the notebook's check, on an adopted mysfit
    assert serviceapi.check_adopt(deployment.url, unadopted).ok


def test_a_like_adds_exactly_one(deployment: Deployment) -> None:
    check = serviceapi.check_like(deployment.url, GRETTA)
    assert check.ok, check.evidence


def test_200_concurrent_likes_all_count(deployment: Deployment) -> None:
    before = _likes(deployment.url, GRETTA)
    per_thread = threading.local()

    def like(_: int) -> int:
        # One keep-alive session per worker thread: a requests Session is not safe to share between
        # threads.
        if not hasattr(per_thread, "session"):
            per_thread.session = requests.Session()
        return per_thread.session.post(
            f"{deployment.url}/mysfits/{GRETTA}/like", timeout=30
        ).status_code

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(like, range(CONCURRENT_LIKES)))
    assert statuses == [200] * CONCURRENT_LIKES
    assert _likes(deployment.url, GRETTA) == before + CONCURRENT_LIKES


# -- property-based fuzzing of the documented API ---------------------------------------------
# schemathesis builds hypothesis strategies from the service's own OpenAPI document. Its pytest
# integration (`schemathesis.pytest.from_fixture`) does not run on pytest 9 (it sets the removed
# `Node._nodeid`), so each operation's strategy is driven with hypothesis' `given` directly.

OPERATIONS = ("healthCheck", "listMysfits", "getMysfit", "likeMysfit", "adoptMysfit")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 25


MYSFIT_IDS = sorted(r["mysfitId"] for r in json.loads(paths.data_file().read_text())["mysfits"])


def _with_id(case_and_id: tuple[schemathesis.Case, str]) -> schemathesis.Case:
    case, mysfit_id = case_and_id
    case.path_parameters = {**(case.path_parameters or {}), "mysfitId": mysfit_id}
    return case


@pytest.fixture(scope="module")
def api_schema(deployment: Deployment) -> BaseSchema:
    """The OpenAPI document the service publishes, fetched through the load balancer."""
    # The document lists no servers, so requests go where it was fetched from: the NLB.
    return schemathesis.openapi.from_url(f"{deployment.url}/openapi.json", timeout=10)


def test_every_documented_operation_is_fuzzed(deployment: Deployment) -> None:
    document = requests.get(f"{deployment.url}/openapi.json", timeout=10).json()
    documented = {op["operationId"] for path in document["paths"].values() for op in path.values()}
    assert documented == set(OPERATIONS)


# GET / takes no input, so no request to it can be invalid: it is fuzzed with valid requests only.
FUZZ_CASES = [
    pytest.param(op, mode, id=f"{op}-{label}")
    for op in OPERATIONS
    for mode, label in [(GenerationMode.POSITIVE, "valid"), (GenerationMode.NEGATIVE, "invalid")]
    if not (op == "healthCheck" and mode is GenerationMode.NEGATIVE)
]


@pytest.mark.parametrize(("operation_id", "mode"), FUZZ_CASES)
def test_generated_requests_are_answered_as_documented(
    deployment: Deployment, api_schema: BaseSchema, operation_id: str, mode: GenerationMode
) -> None:
    """No 5xx, a documented status, the documented content type, a body matching its schema."""
    operation = api_schema.find_operation_by_id(operation_id)

    cases = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE and "{mysfitId}" in operation.path:
        # Random ids almost never exist; mix in real ones so 200 answers are validated too.
        cases = st.one_of(cases, st.tuples(cases, st.sampled_from(MYSFIT_IDS)).map(_with_id))

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def answered_as_documented(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS, timeout=10)

    answered_as_documented()
    # No generated request, valid or not, adds or removes a mysfit.
    check = database.check_item_count(deployment.ws, deployment.table, expect=12)
    assert check.ok, check.evidence
