"""users: the requests sent, the errors translated, tokens never shown (stubbed Cognito)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from mysfits import users
from mysfits.errors import WorkshopError
from mysfits.workshop import Workshop

POOL_ID = "us-east-1_AbCdEf123"
ARN = f"arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL_ID}"
CLIENT = users.AppClient("client1", "p-site", POOL_ID, users.AUTH_FLOWS, {})


@pytest.fixture
def stubbed() -> Iterator[tuple[Workshop, Stubber]]:
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    ws = Workshop("aws", "us-east-1", "p", session, "123456789012")
    client = session.client("cognito-idp")
    ws._clients["cognito-idp"] = client
    with Stubber(client) as stubber:
        yield ws, stubber
        stubber.assert_no_pending_responses()


def _described(**extra: object) -> dict[str, object]:
    return {
        "Id": POOL_ID,
        "Arn": ARN,
        "Name": "p-users",
        "UsernameAttributes": ["email"],
        "Policies": {"PasswordPolicy": users.PASSWORD_POLICY},
        "UserPoolTags": {"project": "mythical-mysfits", "workshop-prefix": "p"},
        **extra,
    }


def test_a_missing_pool_is_created_with_email_names_policy_and_tags(stubbed) -> None:
    ws, stub = stubbed
    stub.add_response("list_user_pools", {"UserPools": []}, {"MaxResults": 60})
    stub.add_response(
        "create_user_pool",
        {"UserPool": _described()},
        {
            "PoolName": "p-users",
            "UsernameAttributes": ["email"],
            "AutoVerifiedAttributes": ["email"],
            "Policies": {"PasswordPolicy": users.PASSWORD_POLICY},
            "UserPoolTags": ws.tags,
        },
    )
    pool = users.ensure_user_pool(ws)
    assert pool.id == POOL_ID and pool.created


def test_an_existing_pool_of_another_shape_is_refused_with_the_fix(stubbed) -> None:
    ws, stub = stubbed
    stub.add_response("list_user_pools", {"UserPools": [{"Id": POOL_ID, "Name": "p-users"}]})
    stub.add_response("describe_user_pool", {"UserPool": _described(UsernameAttributes=[])})
    with pytest.raises(users.UserPoolMisconfigured, match="delete_user_pool"):
        users.ensure_user_pool(ws)


def test_an_existing_pool_with_another_policy_is_updated(stubbed) -> None:
    ws, stub = stubbed
    stub.add_response("list_user_pools", {"UserPools": [{"Id": POOL_ID, "Name": "p-users"}]})
    stub.add_response(
        "describe_user_pool",
        {"UserPool": _described(Policies={"PasswordPolicy": {"MinimumLength": 6}})},
    )
    stub.add_response(
        "update_user_pool",
        {},
        {
            "UserPoolId": POOL_ID,
            "AutoVerifiedAttributes": ["email"],
            "Policies": {"PasswordPolicy": users.PASSWORD_POLICY},
            "UserPoolTags": ws.tags,
        },
    )
    stub.add_response("describe_user_pool", {"UserPool": _described()})
    assert users.ensure_user_pool(ws).created is False


def test_the_app_client_has_no_secret_and_password_and_refresh_flows(stubbed) -> None:
    ws, stub = stubbed
    pool = users.UserPool(POOL_ID, ARN, "p-users", users.PASSWORD_POLICY, True)
    stub.add_response(
        "list_user_pool_clients", {"UserPoolClients": []}, {"UserPoolId": POOL_ID, "MaxResults": 60}
    )
    spec = users.client_spec(POOL_ID, ws)
    assert spec["GenerateSecret"] is False and spec["PreventUserExistenceErrors"] == "ENABLED"
    stub.add_response(
        "create_user_pool_client",
        {
            "UserPoolClient": {
                "ClientId": "client1",
                "ClientName": "p-site",
                "UserPoolId": POOL_ID,
                "ExplicitAuthFlows": list(users.AUTH_FLOWS),
                **users.TOKEN_VALIDITY,
            }
        },
        spec,
    )
    client = users.ensure_app_client(ws, pool)
    assert client.auth_flows == users.AUTH_FLOWS
    assert client.token_validity["TokenValidityUnits"]["IdToken"] == "minutes"


def test_a_weak_password_names_the_rule_and_the_policy(stubbed) -> None:
    ws, stub = stubbed
    stub.add_client_error(
        "sign_up",
        "InvalidPasswordException",
        "Password did not conform with policy: Password not long enough",
    )
    with pytest.raises(users.SignUpRefused, match="not long enough.*MinimumLength"):
        users.sign_up(ws, CLIENT, "a@example.com", "short")


@pytest.mark.parametrize(
    "code, fix",
    [("CodeMismatchException", "read_confirmation_code"), ("ExpiredCodeException", "resend_code")],
)
def test_confirmation_errors_say_what_to_do(stubbed, code: str, fix: str) -> None:
    ws, stub = stubbed
    stub.add_client_error("confirm_sign_up", code, "Invalid code")
    with pytest.raises(users.ConfirmationFailed, match=fix):
        users.confirm(ws, CLIENT, "a@example.com", "123456")


def test_an_unexpected_error_is_not_disguised(stubbed) -> None:
    ws, stub = stubbed
    stub.add_client_error("initiate_auth", "TooManyRequestsException", "slow down")
    with pytest.raises(Exception) as raised:
        users.sign_in(ws, CLIENT, "a@example.com", "Mysfits2024")
    assert not isinstance(raised.value, WorkshopError)


def test_sign_in_returns_tokens_whose_repr_hides_them(stubbed) -> None:
    ws, stub = stubbed
    stub.add_response(
        "initiate_auth",
        {
            "AuthenticationResult": {
                "IdToken": "id.secret.sig",
                "AccessToken": "acc.secret.sig",
                "RefreshToken": "refresh",
                "ExpiresIn": 3600,
                "TokenType": "Bearer",
            }
        },
        {
            "ClientId": "client1",
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "a@example.com", "PASSWORD": "Mysfits2024"},
        },
    )
    tokens = users.sign_in(ws, CLIENT, "a@example.com", "Mysfits2024")
    assert tokens.id_token == "id.secret.sig"
    shown = repr(tokens) + str(tokens)
    assert "secret" not in shown and "refresh'" not in shown and "13 characters" in shown


def test_on_aws_the_code_must_come_from_the_inbox(stubbed) -> None:
    ws, _ = stubbed
    with pytest.raises(WorkshopError, match="inbox"):
        users.read_confirmation_code(ws, "a@example.com")


def test_deleting_a_missing_pool_is_fine(stubbed) -> None:
    ws, stub = stubbed
    stub.add_response("list_user_pools", {"UserPools": []})
    assert users.delete_user_pool(ws) is False
