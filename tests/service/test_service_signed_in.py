"""Like and adopt with sign-in (module 4): per-user likes, the adopter, 401s, the document."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from mysfits_service.app import create_app
from mysfits_service.auth import Identity, Jwks, TokenVerifier
from mysfits_service.config import CognitoSettings, Settings
from mysfits_service.dynamo_store import DynamoStore
from mysfits_service.models import Mysfit

from . import tokens
from .expectations import DATA_FIELDS
from .tokens import JWKS_URL, POOL_ID, REGION, FakeJwksEndpoint, PoolKey

TABLE = "MysfitsTable"
UNKNOWN_ID = "00000000-0000-0000-0000-000000000000"
DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "mysfits.json"
COGNITO = CognitoSettings(POOL_ID, REGION, jwks_url=JWKS_URL)


def identity(endpoint: FakeJwksEndpoint) -> Identity:
    return Identity(TokenVerifier(COGNITO, Jwks(JWKS_URL, fetch=endpoint)))


@pytest.fixture
def client(make_dynamo_client: Any, endpoint: FakeJwksEndpoint) -> TestClient:
    return make_dynamo_client(identity=identity(endpoint), cognito=COGNITO)


@pytest.fixture
def user(pool_key: PoolKey) -> Any:
    """user(name) -> the Authorization header of a signed-in user with that sub."""
    return lambda sub: {"Authorization": tokens.sign(pool_key, tokens.claims(sub=sub))}


@pytest.fixture
def mysfit_id(records: list[dict[str, Any]]) -> str:
    return str(records[3]["mysfitId"])


def stored(dynamodb: Any, mysfit_id: str) -> dict[str, Any]:
    return dynamodb.get_item(TableName=TABLE, Key={"MysfitId": {"S": mysfit_id}})["Item"]


# -- 401: the same body shape as every other error of the service ---------------


@pytest.mark.parametrize("action", ["like", "adopt"])
def test_writes_without_a_token_are_401(
    client: TestClient, dynamodb: Any, mysfit_id: str, action: str
) -> None:
    response = client.post(f"/mysfits/{mysfit_id}/{action}")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json() == {
        "error": {
            "code": "unauthorized",
            "message": "Sign in first: this request needs an Authorization header.",
        }
    }
    item = stored(dynamodb, mysfit_id)
    assert "Likes" not in item and "Adopted" not in item


def bad_tokens(pool_key: PoolKey, stranger_key: PoolKey) -> dict[str, str]:
    good = tokens.sign(pool_key, tokens.claims(sub="mallory"))
    return {
        "expired": tokens.sign(pool_key, tokens.claims(iat=1_000_000, exp=1_003_600)),
        "wrong issuer": tokens.sign(pool_key, tokens.claims(iss=tokens.issuer("us-east-1_Else"))),
        "alg none": tokens.unsigned(tokens.claims(), kid=pool_key.kid),
        "tampered": tokens.tampered(good, sub="alice"),
        "access token": tokens.sign(pool_key, tokens.claims(token_use="access")),
        "another key": tokens.sign(stranger_key, tokens.claims()),
    }


@pytest.mark.parametrize(
    "kind", ["expired", "wrong issuer", "alg none", "tampered", "access token", "another key"]
)
@pytest.mark.parametrize("action", ["like", "adopt"])
def test_writes_with_a_bad_token_are_401_and_change_nothing(
    client: TestClient,
    dynamodb: Any,
    pool_key: PoolKey,
    stranger_key: PoolKey,
    mysfit_id: str,
    action: str,
    kind: str,
) -> None:
    token = bad_tokens(pool_key, stranger_key)[kind]
    response = client.post(f"/mysfits/{mysfit_id}/{action}", headers={"Authorization": token})
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    item = stored(dynamodb, mysfit_id)
    assert "Likes" not in item and "Adopted" not in item


# -- per-user likes ---------------------------------------------------------------


def test_each_user_likes_once(client: TestClient, user: Any, mysfit_id: str) -> None:
    first = client.post(f"/mysfits/{mysfit_id}/like", headers=user("ana"))
    again = client.post(f"/mysfits/{mysfit_id}/like", headers=user("ana"))
    other = client.post(f"/mysfits/{mysfit_id}/like", headers=user("ben"))
    assert [r.status_code for r in (first, again, other)] == [200, 200, 200]
    assert first.json()["likes"] == 1 and first.json()["liked"] is True
    assert again.json()["likes"] == 1 and again.json()["liked"] is True  # idempotent
    assert other.json()["likes"] == 2
    Mysfit.model_validate(again.json())


def test_likers_are_recorded_but_never_listed(
    client: TestClient, dynamodb: Any, user: Any, mysfit_id: str
) -> None:
    client.post(f"/mysfits/{mysfit_id}/like", headers=user("ana"))
    client.post(f"/mysfits/{mysfit_id}/like", headers=user("ben"))
    assert set(stored(dynamodb, mysfit_id)["LikedBy"]["SS"]) == {"ana", "ben"}
    listed = client.get("/mysfits", headers=user("ana")).json()["mysfits"]
    assert all(set(m) == DATA_FIELDS | {"likes", "adopted"} for m in listed)
    assert next(m for m in listed if m["mysfitId"] == mysfit_id)["likes"] == 2


def test_profile_says_whether_the_caller_liked_it(
    client: TestClient, user: Any, pool_key: PoolKey, mysfit_id: str
) -> None:
    client.post(f"/mysfits/{mysfit_id}/like", headers=user("ana"))
    mine = client.get(f"/mysfits/{mysfit_id}", headers=user("ana"))
    theirs = client.get(f"/mysfits/{mysfit_id}", headers=user("ben"))
    anonymous = client.get(f"/mysfits/{mysfit_id}")
    expired = tokens.sign(pool_key, tokens.claims(sub="ana", iat=1_000_000, exp=1_003_600))
    stale = client.get(f"/mysfits/{mysfit_id}", headers={"Authorization": expired})
    assert mine.json()["liked"] is True and theirs.json()["liked"] is False
    assert mine.json()["adoptedByYou"] is False
    assert mine.json()["likes"] == theirs.json()["likes"] == anonymous.json()["likes"] == 1
    # A read is public: without a valid token it is the anonymous view, never a 401.
    assert "liked" not in anonymous.json()
    assert stale.status_code == 200 and "liked" not in stale.json()
    assert "Authorization" in mine.headers["vary"]


def test_unknown_mysfit_is_404_with_a_valid_token(
    client: TestClient, table_count: Any, user: Any
) -> None:
    for action in ("like", "adopt"):
        response = client.post(f"/mysfits/{UNKNOWN_ID}/{action}", headers=user("ana"))
        assert response.status_code == 404
    assert table_count() == 12


def test_concurrent_likes_count_each_user_once(
    dynamodb_as_served: Any,
    client: TestClient,
    user: Any,
    mysfit_id: str,
    frequent_thread_switches: None,
) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]
    assert isinstance(store, DynamoStore)
    # 40 users, each liking five times at once: one conditional write decides each attempt.
    attempts = [f"user-{n % 40}" for n in range(200)]
    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(lambda sub: store.like(mysfit_id, sub), attempts))
    assert all(answer["liked"] for answer in answers)
    assert store.get_mysfit(mysfit_id)["likes"] == 40
    assert len(stored(dynamodb_as_served, mysfit_id)["LikedBy"]["SS"]) == 40


# -- adoption ---------------------------------------------------------------------


def test_adopt_records_the_adopter(
    client: TestClient, dynamodb: Any, user: Any, mysfit_id: str
) -> None:
    adopted = client.post(f"/mysfits/{mysfit_id}/adopt", headers=user("ana"))
    assert adopted.status_code == 200
    assert adopted.json()["adopted"] is True and adopted.json()["adoptedByYou"] is True
    assert stored(dynamodb, mysfit_id)["AdoptedBy"] == {"S": "ana"}
    second = client.post(f"/mysfits/{mysfit_id}/adopt", headers=user("ben"))
    assert second.status_code == 409
    assert stored(dynamodb, mysfit_id)["AdoptedBy"] == {"S": "ana"}
    assert client.get(f"/mysfits/{mysfit_id}", headers=user("ben")).json()["adoptedByYou"] is False
    # The adopter's identity is never shown to others, nor in the list.
    assert "ana" not in client.get(f"/mysfits/{mysfit_id}", headers=user("ben")).text
    assert "ana" not in client.get("/mysfits").text


def test_list_cache_is_patched_without_the_callers_view(
    make_dynamo_client: Any, endpoint: FakeJwksEndpoint, user: Any, mysfit_id: str
) -> None:
    client = make_dynamo_client(identity=identity(endpoint), cognito=COGNITO, list_cache_seconds=60)
    client.get("/mysfits")  # fills the cache
    client.post(f"/mysfits/{mysfit_id}/like", headers=user("ana"))
    client.post(f"/mysfits/{mysfit_id}/adopt", headers=user("ana"))
    listed = {m["mysfitId"]: m for m in client.get("/mysfits").json()["mysfits"]}
    assert listed[mysfit_id]["likes"] == 1 and listed[mysfit_id]["adopted"] is True
    assert "liked" not in listed[mysfit_id] and "adoptedByYou" not in listed[mysfit_id]


# -- the file backend and the document ---------------------------------------------


def test_file_backend_checks_the_token_before_saying_it_has_no_database(
    endpoint: FakeJwksEndpoint, user: Any, records: list[dict[str, Any]]
) -> None:
    settings = Settings(data_file=str(DATA_FILE), cognito=COGNITO)
    with TestClient(create_app(settings, identity=identity(endpoint))) as client:
        path = f"/mysfits/{records[0]['mysfitId']}/like"
        assert client.post(path).status_code == 401
        assert client.post(path, headers=user("ana")).status_code == 501
        assert "liked" not in client.get(path.removesuffix("/like"), headers=user("ana")).json()


def test_document_requires_the_id_token_on_like_and_adopt(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    validate(document)
    scheme = document["components"]["securitySchemes"]["cognitoIdToken"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    secured = {
        (path, method)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if operation.get("security")
    }
    assert secured == {("/mysfits/{mysfitId}/like", "post"), ("/mysfits/{mysfitId}/adopt", "post")}
    like = document["paths"]["/mysfits/{mysfitId}/like"]["post"]
    assert like["security"] == [{"cognitoIdToken": []}]
    assert like["responses"]["401"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorBody"
    )


def test_without_a_pool_the_document_has_no_security(file_client: TestClient) -> None:
    document = file_client.get("/openapi.json").json()
    assert "securitySchemes" not in document.get("components", {})
    assert not any(
        "security" in operation
        for item in document["paths"].values()
        for operation in item.values()
    )
