"""users against the local cloud: the learner's whole path from pool to verified sign-in."""

from __future__ import annotations

import dataclasses

import pytest

from mysfits import users
from mysfits.checks import require
from mysfits.workshop import Workshop

pytestmark = pytest.mark.integration
EMAIL = "learner@example.com"
PASSWORD = "Mysfits2024"


def test_sign_up_confirm_sign_in_and_verify(ws: Workshop) -> None:
    pool = users.ensure_user_pool(ws)
    assert pool.created and users.ensure_user_pool(ws) == dataclasses.replace(pool, created=False)
    client = users.ensure_app_client(ws, pool)
    assert users.ensure_app_client(ws, pool).id == client.id
    require(users.check_user_pool(ws, pool))

    with pytest.raises(users.SignUpRefused, match="uppercase"):
        users.sign_up(ws, client, EMAIL, "mysfits2024")
    signed = users.sign_up(ws, client, EMAIL, PASSWORD)
    assert not signed.confirmed and signed.code_sent_to == "l***@e***"
    with pytest.raises(users.SignInRefused, match="confirm the address first"):
        users.sign_in(ws, client, EMAIL, PASSWORD)
    code = users.read_confirmation_code(ws, EMAIL)
    with pytest.raises(users.ConfirmationFailed, match="CodeMismatchException"):
        users.confirm(ws, client, EMAIL, "000000" if code != "000000" else "111111")
    users.confirm(ws, client, EMAIL, code)

    tokens = users.sign_in(ws, client, EMAIL, PASSWORD)
    assert tokens.expires_in == 3600 and "eyJ" not in repr(tokens)
    check = users.check_sign_in(ws, pool, client, tokens, EMAIL)
    assert check.ok, check.evidence
    assert "valid 60 min" in check.evidence

    head, body, signature = tokens.id_token.split(".")
    tampered = dataclasses.replace(tokens, id_token=f"{head}.{body}.{signature[:-4]}AAAA")
    assert not users.check_sign_in(ws, pool, client, tampered, EMAIL).ok
    with pytest.raises(users.SignInRefused, match="Incorrect username or password"):
        users.sign_in(ws, client, "nobody@example.com", PASSWORD)

    assert users.delete_user_pool(ws) is True
    assert users.delete_user_pool(ws) is False
    assert users.find_user_pool(ws) is None


def test_a_resent_code_confirms(ws: Workshop) -> None:
    pool = users.ensure_user_pool(ws)
    client = users.ensure_app_client(ws, pool)
    users.sign_up(ws, client, EMAIL, PASSWORD)
    assert users.resend_code(ws, client, EMAIL) == "l***@e***"
    users.confirm(ws, client, EMAIL, users.read_confirmation_code(ws, EMAIL))
    users.delete_user_pool(ws)
