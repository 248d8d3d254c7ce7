"""Module 4's checks: a user pool that drifted, or an ID token that must not be trusted, fails.

Cognito runs in-process (moto), which serves each pool's JWKS at the issuer's address; a pool
that drifted is moto's description with the drift, through a stubbed client. moto's
own ID tokens leave out `email_verified`, so the tokens here are signed by the pool's key (moto's
JWT signer) with the claims Cognito puts in an ID token for a confirmed, verified address.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from botocore.stub import Stubber
from moto.cognitoidp.models import cognitoidp_backends

from mysfits import users
from mysfits.workshop import Workshop

from .fakes import stub

EMAIL = "learner@example.com"


@pytest.fixture
def pool(ws: Workshop) -> users.UserPool:
    return users.ensure_user_pool(ws)


@pytest.fixture
def client(ws: Workshop, pool: users.UserPool) -> users.AppClient:
    client = users.ensure_app_client(ws, pool)
    users.sign_up(ws, client, EMAIL, "Mysfits2024")
    ws.client("cognito-idp").admin_confirm_sign_up(UserPoolId=pool.id, Username=EMAIL)
    return client


def _tokens(
    ws: Workshop, pool: users.UserPool, client_id: str, use: str = "id", **claims: Any
) -> users.Tokens:
    """Tokens whose ID token the pool's own key signed, with Cognito's claims plus `claims`."""
    signer = cognitoidp_backends[ws.account_id][ws.region].user_pools[pool.id]
    token, expires_in = signer.create_jwt(client_id, EMAIL, use, extra_data=claims)
    return users.Tokens(token, "access", "refresh", expires_in, "Bearer")


# -- the user pool --------------------------------------------------------------------------------


def test_user_pool_passes_as_ensure_user_pool_makes_it(ws: Workshop, pool: users.UserPool) -> None:
    check = users.check_user_pool(ws, pool)
    assert check.ok, check
    assert check.evidence.startswith(f"{ws.names.user_pool}: e-mail user names, auto-verified")


def _drifted(ws: Workshop, pool: users.UserPool, **changes: Any) -> Stubber:
    """DescribeUserPool answers moto's description with `changes`, through a stubbed client.

    (moto's UpdateUserPool also resets the creation-only UsernameAttributes, which AWS keeps.)
    """
    described = ws.client("cognito-idp").describe_user_pool(UserPoolId=pool.id)
    described.pop("ResponseMetadata")
    described["UserPool"].update(changes)
    idp = stub(ws, "cognito-idp")
    idp.add_response("describe_user_pool", described, {"UserPoolId": pool.id})
    return idp


def test_user_pool_fails_once_the_password_policy_was_weakened(
    ws: Workshop, pool: users.UserPool
) -> None:
    weak = {**users.PASSWORD_POLICY, "MinimumLength": 6, "RequireNumbers": False}
    idp = _drifted(ws, pool, Policies={"PasswordPolicy": weak})
    check = users.check_user_pool(ws, pool)
    assert not check.ok and check.evidence == "password policy differs"
    idp.assert_no_pending_responses()


def test_user_pool_fails_when_addresses_are_no_longer_verified(
    ws: Workshop, pool: users.UserPool
) -> None:
    # An UpdateUserPool that left AutoVerifiedAttributes out turned verification off.
    _drifted(ws, pool, AutoVerifiedAttributes=[])
    check = users.check_user_pool(ws, pool)
    assert not check.ok and check.evidence == "e-mail not auto-verified"


def test_user_pool_fails_when_it_lost_the_workshop_tags(ws: Workshop, pool: users.UserPool) -> None:
    _drifted(ws, pool, UserPoolTags={})
    check = users.check_user_pool(ws, pool)
    assert not check.ok and check.evidence == "tags missing"


# -- signing in -----------------------------------------------------------------------------------


def test_sign_in_passes_for_a_verified_address(
    ws: Workshop, pool: users.UserPool, client: users.AppClient
) -> None:
    check = users.check_sign_in(
        ws, pool, client, _tokens(ws, pool, client.id, email_verified=True), EMAIL
    )
    assert check.ok, check
    assert check.evidence.startswith(
        f"ID token signed by the pool's key, issuer and audience "
        f"right, for {EMAIL} (email_verified True)"
    )


def test_sign_in_fails_for_an_unverified_address(
    ws: Workshop, pool: users.UserPool, client: users.AppClient
) -> None:
    unverified = _tokens(ws, pool, client.id, email_verified=False)
    check = users.check_sign_in(ws, pool, client, unverified, EMAIL)
    assert not check.ok and "(email_verified False)" in check.evidence


def test_sign_in_fails_on_a_forged_signature(
    ws: Workshop, pool: users.UserPool, client: users.AppClient
) -> None:
    tokens = _tokens(ws, pool, client.id, email_verified=True)
    head, body, signature = tokens.id_token.split(".")
    forged = dataclasses.replace(tokens, id_token=f"{head}.{body}.{signature[:-4]}AAAA")
    check = users.check_sign_in(ws, pool, client, forged, EMAIL)
    assert not check.ok and check.evidence.startswith("the ID token does not verify")


def test_sign_in_fails_on_a_token_for_another_app(
    ws: Workshop, pool: users.UserPool, client: users.AppClient
) -> None:
    other = _tokens(ws, pool, "another-app-client", email_verified=True)
    check = users.check_sign_in(ws, pool, client, other, EMAIL)
    assert not check.ok and "Audience doesn't match" in check.evidence


def test_sign_in_fails_on_an_access_token(
    ws: Workshop, pool: users.UserPool, client: users.AppClient
) -> None:
    access = _tokens(ws, pool, client.id, use="access")
    check = users.check_sign_in(ws, pool, client, access, EMAIL)
    assert not check.ok and check.evidence.startswith("the ID token does not verify")
