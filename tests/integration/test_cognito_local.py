"""Cognito on the local cloud through boto3: codes from the mailbox, AWS's refusals, real tokens."""

from __future__ import annotations

import uuid
from typing import Any

import jwt
import pytest
import requests
from botocore.exceptions import ClientError

from mysfits.local import client as local_client
from mysfits.workshop import Workshop

from .conftest import mysfits_cli

pytestmark = pytest.mark.integration
PASSWORD = "Mysfits2024"
POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": False,
}


@pytest.fixture
def pool(ws: Workshop) -> dict[str, str]:
    """A pool (e-mail as user name, auto-verified) and a public password-auth client."""
    idp = ws.client("cognito-idp")
    pool_id = idp.create_user_pool(
        PoolName=f"{ws.prefix}-users",
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": POLICY},
    )["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="site",
        PreventUserExistenceErrors="ENABLED",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        IdTokenValidity=30,
        AccessTokenValidity=45,
        TokenValidityUnits={"IdToken": "minutes", "AccessToken": "minutes"},
    )["UserPoolClient"]["ClientId"]
    yield {"id": pool_id, "client": client_id}
    idp.delete_user_pool(UserPoolId=pool_id)


def _email() -> str:
    return f"learner-{uuid.uuid4().hex[:8]}@example.com"


def _error(call: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return dict(raised.value.response["Error"])


def _code(ws: Workshop, email: str) -> str:
    return str(local_client.mail(str(ws.endpoint_url), to=email)[-1]["code"])


def _auth(ws: Workshop, pool: dict[str, str], email: str, password: str = PASSWORD) -> Any:
    return ws.client("cognito-idp").initiate_auth(
        ClientId=pool["client"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )


def _signed_up(ws: Workshop, pool: dict[str, str], email: str) -> dict[str, Any]:
    return dict(
        ws.client("cognito-idp").sign_up(ClientId=pool["client"], Username=email, Password=PASSWORD)
    )


@pytest.mark.parametrize(
    "password, reason",
    [
        ("Ab1", "Password not long enough"),
        ("mysfits2024", "Password must have uppercase characters"),
        ("MYSFITS2024", "Password must have lowercase characters"),
        ("Mysfitsxyzw", "Password must have numeric characters"),
    ],
)
def test_weak_passwords_are_refused_with_the_rule_they_break(
    ws: Workshop, pool: dict[str, str], password: str, reason: str
) -> None:
    error = _error(
        ws.client("cognito-idp").sign_up,
        ClientId=pool["client"],
        Username=_email(),
        Password=password,
    )
    assert error == {
        "Code": "InvalidPasswordException",
        "Message": f"Password did not conform with policy: {reason}",
    }


def test_sign_up_mails_a_six_digit_code_that_alone_confirms(
    ws: Workshop, pool: dict[str, str]
) -> None:
    idp, email = ws.client("cognito-idp"), _email()
    answer = _signed_up(ws, pool, email)
    assert answer["UserConfirmed"] is False
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "l***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    [message] = local_client.mail(str(ws.endpoint_url), to=email.upper())
    assert message["code"].isdigit() and len(message["code"]) == 6
    assert message["code"] in message["body"] and message["kind"] == "sign-up"
    assert _error(_auth, ws=ws, pool=pool, email=email)["Code"] == "UserNotConfirmedException"
    wrong = "000000" if message["code"] != "000000" else "111111"
    assert _error(
        idp.confirm_sign_up, ClientId=pool["client"], Username=email, ConfirmationCode=wrong
    ) == {
        "Code": "CodeMismatchException",
        "Message": "Invalid verification code provided, please try again.",
    }
    idp.confirm_sign_up(ClientId=pool["client"], Username=email, ConfirmationCode=message["code"])
    attributes = idp.admin_get_user(UserPoolId=pool["id"], Username=email)["UserAttributes"]
    assert {"Name": "email_verified", "Value": "true"} in attributes
    again = _error(
        idp.confirm_sign_up,
        ClientId=pool["client"],
        Username=email,
        ConfirmationCode=message["code"],
    )
    assert again["Code"] == "NotAuthorizedException"


def test_a_resent_code_replaces_the_first(ws: Workshop, pool: dict[str, str]) -> None:
    idp, email = ws.client("cognito-idp"), _email()
    _signed_up(ws, pool, email)
    first = _code(ws, email)
    resent = idp.resend_confirmation_code(ClientId=pool["client"], Username=email)
    assert resent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    second = _code(ws, email)
    if first != second:  # one chance in a million that they are equal
        assert (
            _error(
                idp.confirm_sign_up, ClientId=pool["client"], Username=email, ConfirmationCode=first
            )["Code"]
            == "CodeMismatchException"
        )
    idp.confirm_sign_up(ClientId=pool["client"], Username=email, ConfirmationCode=second)


def test_sign_in_refusals_do_not_reveal_who_has_an_account(
    ws: Workshop, pool: dict[str, str]
) -> None:
    email = _email()
    _signed_up(ws, pool, email)
    ws.client("cognito-idp").confirm_sign_up(
        ClientId=pool["client"], Username=email, ConfirmationCode=_code(ws, email)
    )
    expected = {"Code": "NotAuthorizedException", "Message": "Incorrect username or password."}
    assert _error(_auth, ws=ws, pool=pool, email=email, password="Wrong2024x") == expected
    assert _error(_auth, ws=ws, pool=pool, email=_email()) == expected


def test_a_flow_the_client_does_not_allow_is_refused(ws: Workshop, pool: dict[str, str]) -> None:
    error = _error(
        ws.client("cognito-idp").initiate_auth,
        ClientId=pool["client"],
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": _email(), "SRP_A": "1"},
    )
    assert error == {
        "Code": "InvalidParameterException",
        "Message": "USER_SRP_AUTH flow not enabled for this client",
    }


def _verify(token: str, jwks: dict[str, Any], **expect: Any) -> dict[str, Any]:
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == kid)
    return dict(jwt.decode(token, key, algorithms=["RS256"], **expect))


def test_tokens_verify_against_the_pools_jwks_and_have_cognitos_claims(
    ws: Workshop, pool: dict[str, str]
) -> None:
    email = _email()
    sub = _signed_up(ws, pool, email)["UserSub"]
    ws.client("cognito-idp").confirm_sign_up(
        ClientId=pool["client"], Username=email, ConfirmationCode=_code(ws, email)
    )
    result = _auth(ws, pool, email)["AuthenticationResult"]
    issuer = f"https://cognito-idp.{ws.region}.amazonaws.com/{pool['id']}"
    jwks_response = requests.get(ws.url(f"{issuer}/.well-known/jwks.json"), timeout=10)
    assert jwks_response.status_code == 200
    jwks = jwks_response.json()
    assert len(jwks["keys"]) == 2
    assert all({"kid", "alg", "kty", "e", "n", "use"} <= set(k) for k in jwks["keys"])
    assert jwt.get_unverified_header(result["IdToken"]) == {
        "alg": "RS256",
        "kid": jwks["keys"][0]["kid"],
    }
    claims = _verify(result["IdToken"], jwks, audience=pool["client"], issuer=issuer)
    assert claims["token_use"] == "id" and claims["sub"] == sub
    assert claims["email"] == email and claims["email_verified"] is True
    assert claims["cognito:username"] == sub
    assert claims["exp"] - claims["iat"] == 30 * 60 and claims["auth_time"] <= claims["iat"]
    access = _verify(result["AccessToken"], jwks, issuer=issuer)
    assert access["token_use"] == "access" and "aud" not in access
    assert access["client_id"] == pool["client"]
    assert result["ExpiresIn"] == 45 * 60 == access["exp"] - access["iat"]


def test_a_tampered_or_foreign_token_fails_verification(ws: Workshop, pool: dict[str, str]) -> None:
    email = _email()
    _signed_up(ws, pool, email)
    ws.client("cognito-idp").confirm_sign_up(
        ClientId=pool["client"], Username=email, ConfirmationCode=_code(ws, email)
    )
    token = _auth(ws, pool, email)["AuthenticationResult"]["IdToken"]
    jwks = requests.get(f"{ws.endpoint_url}/{pool['id']}/.well-known/jwks.json", timeout=10).json()
    header, payload, signature = token.split(".")
    forged = jwt.utils.base64url_encode(
        jwt.utils.base64url_decode(payload).replace(email.encode(), b"admin@example.com")
    )
    with pytest.raises(jwt.InvalidSignatureError):
        _verify(f"{header}.{forged.decode()}.{signature}", jwks, audience=pool["client"])
    other = ws.client("cognito-idp").create_user_pool(PoolName=f"{ws.prefix}-other")["UserPool"]
    other_jwks = requests.get(
        f"{ws.endpoint_url}/{other['Id']}/.well-known/jwks.json", timeout=10
    ).json()
    with pytest.raises(StopIteration):  # another pool's keys have other kids
        _verify(token, other_jwks, audience=pool["client"])
    ws.client("cognito-idp").delete_user_pool(UserPoolId=other["Id"])


def test_jwks_of_a_missing_pool_is_404(ws: Workshop) -> None:
    response = requests.get(
        f"{ws.endpoint_url}/us-east-1_missing0/.well-known/jwks.json", timeout=10
    )
    assert response.status_code == 404
    assert response.json() == {"message": "User pool us-east-1_missing0 does not exist."}


def test_update_keeps_email_as_user_name(ws: Workshop, pool: dict[str, str]) -> None:
    idp = ws.client("cognito-idp")
    idp.update_user_pool(UserPoolId=pool["id"], AutoVerifiedAttributes=["email"])
    assert idp.describe_user_pool(UserPoolId=pool["id"])["UserPool"]["UsernameAttributes"] == [
        "email"
    ]


def test_cli_prints_the_mailbox(
    ws: Workshop, pool: dict[str, str], local_cloud: dict[str, object]
) -> None:
    email = _email()
    _signed_up(ws, pool, email)
    shown = mysfits_cli(local_cloud["home"], "local", "mail", "--to", email)  # type: ignore[arg-type]
    assert shown.returncode == 0, shown.stderr
    assert email in shown.stdout and _code(ws, email) in shown.stdout
    nobody = mysfits_cli(local_cloud["home"], "local", "mail", "--to", _email())  # type: ignore[arg-type]
    assert "no messages to" in nobody.stdout
