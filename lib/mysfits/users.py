"""Module 4: the Cognito user pool and app client, and signing a learner up and in.

The pool takes an e-mail address as the user name and verifies it with a code it e-mails
itself; the app client is public (no secret: it lives in a web page) and signs in with the
user's password over TLS (`USER_PASSWORD_AUTH`), then refreshes. Cognito's free tier covers
the first 10,000 monthly active users of a pool like this one; a pool with no users costs
nothing per hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import jwt
import requests
from botocore.exceptions import ClientError

from .checks import Check
from .errors import ResourceNotFound, WorkshopError, error_code
from .idioms import delete_if_present, translated
from .inventory import Family, Leftover
from .workshop import Workshop

# Why this policy: length does most of the work against guessing; mixed case and a digit are
# asked for as the console's default does, symbols are not (they add little, and learners
# type these passwords by hand). Temporary passwords (admin-created users) last a week.
PASSWORD_POLICY: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": False,
    "TemporaryPasswordValidityDays": 7,
}
# Why these lifetimes: ID and access tokens are what the API accepts, so a leaked one should
# die soon: an hour (AWS's default; 5 minutes to 1 day allowed). The refresh token keeps a
# learner signed in through a day's session without typing the password again.
TOKEN_VALIDITY: dict[str, Any] = {
    "IdTokenValidity": 60,
    "AccessTokenValidity": 60,
    "RefreshTokenValidity": 1,
    "TokenValidityUnits": {"IdToken": "minutes", "AccessToken": "minutes", "RefreshToken": "days"},
}
AUTH_FLOWS = ("ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH")
HOURLY_USD = 0.0  # free tier: 10,000 monthly active users; an idle pool costs nothing


class UserPoolMisconfigured(WorkshopError):
    """A pool with the workshop's name exists but does not take e-mail addresses as user names."""


class SignUpRefused(WorkshopError):
    """Cognito refused the sign-up (weak password, address already registered, ...)."""


class ConfirmationFailed(WorkshopError):
    """The confirmation code was wrong or too old."""


class SignInRefused(WorkshopError):
    """Wrong address or password, or the address is not confirmed yet."""


@dataclass(frozen=True)
class UserPool:
    id: str
    arn: str
    name: str
    password_policy: dict[str, Any]
    created: bool


@dataclass(frozen=True)
class AppClient:
    id: str
    name: str
    pool_id: str
    auth_flows: tuple[str, ...]
    token_validity: dict[str, Any]


@dataclass(frozen=True)
class SignUp:
    email: str
    user_sub: str
    confirmed: bool
    code_sent_to: str  # masked, as Cognito reports it: "a***@e***"


def _redacted(token: str) -> str:
    return f"<{len(token)} characters, not shown>"


@dataclass(frozen=True)
class Tokens:
    """What a sign-in returns; the repr never shows a token (notebook outputs are shared)."""

    id_token: str = field(repr=False)
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    token_type: str

    def __repr__(self) -> str:
        return (
            f"Tokens(id_token={_redacted(self.id_token)}, "
            f"access_token={_redacted(self.access_token)}, "
            f"refresh_token={_redacted(self.refresh_token)}, expires_in={self.expires_in}, "
            f"token_type={self.token_type!r})"
        )


def pool_spec(ws: Workshop) -> dict[str, Any]:
    """The CreateUserPool request: e-mail as user name, verified by a code Cognito e-mails."""
    return {
        "PoolName": ws.names.user_pool,
        "UsernameAttributes": ["email"],
        "AutoVerifiedAttributes": ["email"],
        "Policies": {"PasswordPolicy": PASSWORD_POLICY},
        "UserPoolTags": ws.tags,
    }


def client_spec(pool_id: str, ws: Workshop) -> dict[str, Any]:
    """The app client: no secret, password sign-in and refresh only, unknown users not revealed."""
    return {
        "UserPoolId": pool_id,
        "ClientName": ws.names.app_client,
        "GenerateSecret": False,
        "ExplicitAuthFlows": list(AUTH_FLOWS),
        "PreventUserExistenceErrors": "ENABLED",
        **TOKEN_VALIDITY,
    }


def find_user_pool(ws: Workshop) -> dict[str, Any] | None:
    """The workshop's pool as DescribeUserPool shows it, or None."""
    idp = ws.client("cognito-idp")
    for page in idp.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == ws.names.user_pool:
                return dict(idp.describe_user_pool(UserPoolId=pool["Id"])["UserPool"])
    return None


def _as_pool(described: dict[str, Any], created: bool) -> UserPool:
    policy = described.get("Policies", {}).get("PasswordPolicy", {})
    return UserPool(described["Id"], described["Arn"], described["Name"], dict(policy), created)


def ensure_user_pool(ws: Workshop) -> UserPool:
    """Create the pool if it is missing, else bring its password policy and tags in line."""
    idp, existing = ws.client("cognito-idp"), find_user_pool(ws)
    if existing is None:
        return _as_pool(idp.create_user_pool(**pool_spec(ws))["UserPool"], created=True)
    if existing.get("UsernameAttributes") != ["email"]:
        raise UserPoolMisconfigured(
            f"user pool {ws.names.user_pool} exists but signs users in by "
            f"{existing.get('UsernameAttributes') or 'user name'}, not e-mail (which cannot be "
            "changed): delete it with users.delete_user_pool(ws), or choose another prefix"
        )
    policy_differs = existing.get("Policies", {}).get("PasswordPolicy") != PASSWORD_POLICY
    tags = existing.get("UserPoolTags") or {}
    if policy_differs or any(tags.get(k) != v for k, v in ws.tags.items()):
        # UpdateUserPool resets what it is not given, so it gets everything the workshop sets.
        idp.update_user_pool(
            UserPoolId=existing["Id"],
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": PASSWORD_POLICY},
            UserPoolTags={**tags, **ws.tags},
        )
    return _as_pool(idp.describe_user_pool(UserPoolId=existing["Id"])["UserPool"], created=False)


def ensure_app_client(ws: Workshop, pool: UserPool) -> AppClient:
    """Create the app client if it is missing, else reset it to the workshop's settings."""
    idp, spec = ws.client("cognito-idp"), client_spec(pool.id, ws)
    found = find_app_client(ws, pool.id)
    if found is None:
        client = idp.create_user_pool_client(**spec)["UserPoolClient"]
    else:
        settings = {k: v for k, v in spec.items() if k != "GenerateSecret"}
        updated = idp.update_user_pool_client(ClientId=found["ClientId"], **settings)
        client = updated["UserPoolClient"]
    validity = {k: client.get(k) for k in TOKEN_VALIDITY}
    return AppClient(
        client["ClientId"],
        client["ClientName"],
        pool.id,
        tuple(client.get("ExplicitAuthFlows", [])),
        validity,
    )


def _refusal(fixes: dict[str, str], kind: type[WorkshopError]) -> AbstractContextManager[None]:
    """`translated` for `fixes` (code -> what to do), raising `kind` with AWS's own reason."""

    def into(error: ClientError) -> Exception:
        code = error_code(error)
        return kind(f"{error.response['Error'].get('Message', code)} ({code}): {fixes[code]}")

    return translated(*fixes, into=into)


def sign_up(ws: Workshop, client: AppClient, email: str, password: str) -> SignUp:
    """Register `email`; Cognito sends it a confirmation code (the local cloud's mailbox)."""
    with _refusal(
        {
            "InvalidPasswordException": f"choose a password of the pool's policy {PASSWORD_POLICY}",
            "UsernameExistsException": "that address is registered already: sign in instead",
            "InvalidParameterException": "the user name must be an e-mail address",
        },
        SignUpRefused,
    ):
        answer = ws.client("cognito-idp").sign_up(
            ClientId=client.id, Username=email, Password=password
        )
    sent = answer.get("CodeDeliveryDetails", {}).get("Destination", "")
    return SignUp(email, answer["UserSub"], bool(answer["UserConfirmed"]), sent)


def confirm(ws: Workshop, client: AppClient, email: str, code: str) -> None:
    """Confirm `email` with the code it received; it can sign in afterwards."""
    with _refusal(
        {
            "CodeMismatchException": "read the code again (users.read_confirmation_code)",
            "ExpiredCodeException": "codes last 24 hours: get a new one with users.resend_code",
            "NotAuthorizedException": "this address is confirmed already: sign in",
        },
        ConfirmationFailed,
    ):
        ws.client("cognito-idp").confirm_sign_up(
            ClientId=client.id, Username=email, ConfirmationCode=code
        )


def resend_code(ws: Workshop, client: AppClient, email: str) -> str:
    """Send `email` a new confirmation code (the old one stops working); where it went."""
    answer = ws.client("cognito-idp").resend_confirmation_code(ClientId=client.id, Username=email)
    return str(answer.get("CodeDeliveryDetails", {}).get("Destination", ""))


def read_confirmation_code(ws: Workshop, email: str) -> str:
    """The newest code the workshop's pool sent to `email`, from the local cloud's mailbox.

    On AWS the code is in the learner's own inbox: read it there and pass it to `confirm`.
    """
    messages = ws.mailbox(to=email)
    if messages is None:
        raise WorkshopError(
            f"on AWS the confirmation code goes to {email}'s inbox, which only its owner can "
            "read: open that e-mail and pass the code to users.confirm(ws, client, email, code)"
        )
    pool = find_user_pool(ws)
    ours = [m for m in messages if pool is not None and m["pool_id"] == pool["Id"]]
    if not ours:
        raise ResourceNotFound(
            f"{ws.names.user_pool} sent no message to {email}: sign up first (users.sign_up)"
        )
    return str(ours[-1]["code"])


def sign_in(ws: Workshop, client: AppClient, email: str, password: str) -> Tokens:
    """Sign in with e-mail and password (USER_PASSWORD_AUTH); the tokens (never printed)."""
    with _refusal(
        {
            "NotAuthorizedException": "check the address and the password",
            "UserNotConfirmedException": "confirm the address first (users.confirm)",
        },
        SignInRefused,
    ):
        answer = ws.client("cognito-idp").initiate_auth(
            ClientId=client.id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    result = answer["AuthenticationResult"]
    return Tokens(
        result["IdToken"],
        result["AccessToken"],
        result.get("RefreshToken", ""),
        int(result["ExpiresIn"]),
        result["TokenType"],
    )


def issuer(ws: Workshop, pool: UserPool) -> str:
    return f"https://cognito-idp.{ws.region}.amazonaws.com/{pool.id}"


def verify_id_token(ws: Workshop, pool: UserPool, client: AppClient, token: str) -> dict[str, Any]:
    """The ID token's claims once its signature (pool's JWKS), issuer, audience, expiry and
    token_use are checked, as an API must before trusting it; raises jwt.InvalidTokenError."""
    jwks_url = ws.url(f"{issuer(ws, pool)}/.well-known/jwks.json")
    response = requests.get(jwks_url, timeout=10)
    response.raise_for_status()
    kid = jwt.get_unverified_header(token).get("kid")
    keys = jwt.PyJWKSet.from_dict(response.json())
    key = next((k for k in keys.keys if k.key_id == kid), None)
    if key is None:
        raise jwt.InvalidTokenError(f"no key {kid!r} in the pool's JWKS")
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["RS256"], audience=client.id, issuer=issuer(ws, pool)
    )
    if claims.get("token_use") != "id":
        raise jwt.InvalidTokenError(f"token_use is {claims.get('token_use')!r}, not 'id'")
    return claims


def check_user_pool(ws: Workshop, pool: UserPool) -> Check:
    """E-mail is the user name and auto-verified, the password policy and tags are ours."""
    described = ws.client("cognito-idp").describe_user_pool(UserPoolId=pool.id)["UserPool"]
    policy = described.get("Policies", {}).get("PasswordPolicy", {})
    tags = described.get("UserPoolTags", {})
    problems = [
        what
        for what, ok in (
            ("user name is not e-mail", described.get("UsernameAttributes") == ["email"]),
            ("e-mail not auto-verified", "email" in described.get("AutoVerifiedAttributes", [])),
            ("password policy differs", policy == PASSWORD_POLICY),
            ("tags missing", all(tags.get(k) == v for k, v in ws.tags.items())),
        )
        if not ok
    ]
    evidence = "; ".join(problems) or (
        f"{pool.name}: e-mail user names, auto-verified; passwords of at least "
        f"{policy['MinimumLength']} characters with upper and lower case and a digit"
    )
    return Check("user pool", not problems, evidence, {"pool_id": pool.id})


def check_sign_in(
    ws: Workshop, pool: UserPool, client: AppClient, tokens: Tokens, email: str
) -> Check:
    """The ID token verifies against the pool's JWKS and names `email`, verified."""
    try:
        claims = verify_id_token(ws, pool, client, tokens.id_token)
    except (jwt.InvalidTokenError, requests.RequestException) as error:
        return Check("sign-in", False, f"the ID token does not verify: {error}")
    ok = claims.get("email") == email and claims.get("email_verified") is True
    minutes = (int(claims["exp"]) - int(claims["iat"])) // 60
    evidence = (
        f"ID token signed by the pool's key, issuer and audience right, for "
        f"{claims.get('email')} (email_verified {claims.get('email_verified')}), "
        f"valid {minutes} min"
    )
    return Check("sign-in", ok, evidence, {"sub": claims.get("sub")})


def find_app_client(ws: Workshop, pool_id: str) -> dict[str, Any] | None:
    """The workshop's app client of the pool, as ListUserPoolClients lists it, or None."""
    idp = ws.client("cognito-idp")
    listed = idp.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    return next((c for c in listed if c["ClientName"] == ws.names.app_client), None)


def service_environment(ws: Workshop) -> dict[str, str]:
    """The service's sign-in settings once the pool exists (else none): it then verifies ID tokens
    itself too. Modules 2 and 4 deploy with them, so re-running 02 keeps them.

    The JWKS address is given only where the pool's keys are served elsewhere than at the
    issuer's own URL (the local cloud serves them on loopback, and signs as AWS would).
    """
    found = find_user_pool(ws)
    if found is None:
        return {}
    pool = _as_pool(found, created=False)
    client = find_app_client(ws, pool.id)
    jwks = f"{issuer(ws, pool)}/.well-known/jwks.json"
    settings = {
        "MYSFITS_COGNITO_POOL_ID": pool.id,
        "MYSFITS_COGNITO_REGION": ws.region,
        **({"MYSFITS_COGNITO_CLIENT_ID": client["ClientId"]} if client else {}),
    }
    served = ws.url(jwks)
    return settings if served == jwks else {**settings, "MYSFITS_COGNITO_JWKS_URL": served}


def delete_user_pool(ws: Workshop) -> bool:
    """Delete the workshop's pool (its clients and users go with it); False if there was none."""
    found = find_user_pool(ws)
    # ResourceNotFoundException: deleted meanwhile.
    return found is not None and delete_if_present(
        lambda: ws.client("cognito-idp").delete_user_pool(UserPoolId=found["Id"]),
        "ResourceNotFoundException",
    )


def leftovers(ws: Workshop) -> Iterator[Leftover]:
    """The user pool (free: no hourly cost; beyond the free tier Cognito bills per MAU)."""
    if find_user_pool(ws) is not None:
        yield Leftover("cognito user pool", ws.names.user_pool, HOURLY_USD)


CLEANUP = Family(leftovers, steps=(("Cognito user pool", delete_user_pool),))
