"""The local Cognito's pure parts: password rules, code book and expiry, flows, token claims."""

from __future__ import annotations

import jwt
import pytest

from mysfits.local.cognito import passwords, tokens
from mysfits.local.cognito.keys import PoolKeys
from mysfits.local.cognito.patches import flow_enabled
from mysfits.local.cognito.service import mask
from mysfits.local.cognito.state import (
    CODE_LIFETIME_SECONDS,
    CodeBook,
    CodeExpired,
    CodeMismatch,
    Mailbox,
    Message,
)

POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}


@pytest.mark.parametrize(
    "password, reason",
    [
        ("Ab1!", "Password not long enough"),
        ("abcdefg1!", "Password must have uppercase characters"),
        ("ABCDEFG1!", "Password must have lowercase characters"),
        ("Abcdefgh!", "Password must have numeric characters"),
        ("Abcdefgh1", "Password must have symbol characters"),
    ],
)
def test_the_first_rule_broken_is_named(password: str, reason: str) -> None:
    expected = f"Password did not conform with policy: {reason}"
    assert passwords.violation(POLICY, password) == expected


def test_conforming_passwords_and_relaxed_rules_pass() -> None:
    assert passwords.violation(POLICY, "Abcdefg1 ") is None  # a space is a symbol
    assert (
        passwords.violation(
            {"MinimumLength": 6, "RequireSymbols": False, "RequireUppercase": False}, "abcde1"
        )
        is None
    )
    assert passwords.violation(None, "abcdefgh") is not None  # AWS's defaults apply


def test_a_code_is_six_digits_accepted_once() -> None:
    book = CodeBook()
    code = book.issue("pool", "user", "sign-up", now=1000.0)
    assert len(code) == 6 and code.isdigit()
    with pytest.raises(CodeMismatch):
        book.redeem("pool", "user", "sign-up", "x" + code[1:], now=1001.0)
    with pytest.raises(CodeMismatch):
        book.redeem("pool", "other", "sign-up", code, now=1001.0)
    book.redeem("pool", "user", "sign-up", code, now=1001.0)
    with pytest.raises(CodeMismatch):  # used up
        book.redeem("pool", "user", "sign-up", code, now=1002.0)


def test_a_code_expires_after_24_hours_and_a_new_one_replaces_it() -> None:
    book = CodeBook()
    old = book.issue("pool", "user", "sign-up", now=0.0)
    with pytest.raises(CodeExpired):
        book.redeem("pool", "user", "sign-up", old, now=CODE_LIFETIME_SECONDS + 1)
    new = book.issue("pool", "user", "sign-up", now=CODE_LIFETIME_SECONDS + 2)
    if new != old:
        with pytest.raises(CodeMismatch):
            book.redeem("pool", "user", "sign-up", old, now=CODE_LIFETIME_SECONDS + 3)
    book.redeem("pool", "user", "sign-up", new, now=2 * CODE_LIFETIME_SECONDS)


def test_mailbox_filters_by_address_ignoring_case() -> None:
    box = Mailbox()
    box.deliver(Message("A@example.com", "EMAIL", "sign-up", "s", "b 123456", "123456", "p"), 0)
    box.deliver(Message("b@example.com", "EMAIL", "sign-up", "s", "b 654321", "654321", "p"), 0)
    assert [m.code for m in box.messages("a@EXAMPLE.com")] == ["123456"]
    assert box.messages("a@example.com")[0].sent_at == "1970-01-01T00:00:00+00:00"
    assert len(box.messages()) == 2


@pytest.mark.parametrize(
    "flows, flow, allowed",
    [
        (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "USER_PASSWORD_AUTH", True),
        (["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"], "USER_SRP_AUTH", False),
        (["ALLOW_USER_PASSWORD_AUTH"], "REFRESH_TOKEN_AUTH", False),
        (None, "USER_PASSWORD_AUTH", False),  # AWS's default: SRP, refresh, custom
        (None, "USER_SRP_AUTH", True),
        (["USER_PASSWORD_AUTH"], "USER_PASSWORD_AUTH", True),  # legacy value
        (["ADMIN_NO_SRP_AUTH"], "REFRESH_TOKEN_AUTH", True),  # legacy clients always refresh
        (["ALLOW_USER_SRP_AUTH"], "ADMIN_NO_SRP_AUTH", True),  # not client-gated here
    ],
)
def test_flows_follow_the_clients_explicit_auth_flows(
    flows: list[str] | None, flow: str, allowed: bool
) -> None:
    assert flow_enabled({"ExplicitAuthFlows": flows} if flows else {}, flow) is allowed


def test_token_lifetimes_use_the_clients_units() -> None:
    config = {
        "IdTokenValidity": 30,
        "AccessTokenValidity": 2,
        "TokenValidityUnits": {"IdToken": "minutes"},
    }
    assert tokens.lifetime_seconds(config, "id") == 1800
    assert tokens.lifetime_seconds(config, "access") == 7200  # hours by default
    assert tokens.lifetime_seconds({}, "id") == 3600


def test_id_token_claims_carry_attributes_with_boolean_flags() -> None:
    base = {"sub": "s", "iat": 100, "exp": 3700, "token_use": "id"}
    attributes = [
        {"Name": "email", "Value": "a@example.com"},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "sub", "Value": "x"},
    ]
    claims = tokens.claims(base, "id", 600, attributes)
    assert claims["email_verified"] is True and claims["sub"] == "s"
    assert claims["exp"] == 700 and claims["event_id"]
    assert "email" not in tokens.claims(base, "access", 600, attributes)


def test_pool_keys_sign_verifiable_tokens_named_by_kid() -> None:
    keys, other = PoolKeys(), PoolKeys()
    token = keys.sign({"sub": "s"})
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": keys.signing_kid}
    [first, second] = jwt.PyJWKSet.from_dict(keys.jwks()).keys
    assert first.key_id == keys.signing_kid != second.key_id
    assert jwt.decode(token, first, algorithms=["RS256"]) == {"sub": "s"}
    foreign = jwt.PyJWKSet.from_dict(other.jwks()).keys[0]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, foreign, algorithms=["RS256"])


def test_destinations_are_masked_as_cognito_does() -> None:
    assert mask("learner@example.com") == "l***@e***"
    assert mask("+15551234567") == "+*******4567"
