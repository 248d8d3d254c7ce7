"""The service's own check of Cognito ID tokens (defence in depth behind API Gateway)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization

from mysfits_service.auth import REFETCH_INTERVAL_SECONDS, Jwks, TokenVerifier, fetch_url
from mysfits_service.config import CognitoSettings, ConfigError, Settings
from mysfits_service.errors import BackendUnavailable, Unauthorized

from . import tokens
from .tokens import CLIENT_ID, JWKS_URL, POOL_ID, REGION, FakeJwksEndpoint, PoolKey


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def verifier_for(
    endpoint: FakeJwksEndpoint, clock: Clock | None = None, client_id: str | None = None
) -> TokenVerifier:
    settings = CognitoSettings(POOL_ID, REGION, client_id=client_id, jwks_url=JWKS_URL)
    return TokenVerifier(settings, Jwks(JWKS_URL, fetch=endpoint, clock=clock or Clock()))


@pytest.fixture
def verifier(endpoint: FakeJwksEndpoint) -> TokenVerifier:
    return verifier_for(endpoint)


def refused(verifier: TokenVerifier, header: str | None) -> str:
    with pytest.raises(Unauthorized) as caught:
        verifier.verify(header)
    return caught.value.message


# -- configuration -------------------------------------------------------------


def test_no_pool_variables_means_no_checks() -> None:
    assert Settings.from_env({}).cognito is None


def test_pool_variables_configure_the_checks() -> None:
    settings = Settings.from_env(
        {
            "MYSFITS_COGNITO_POOL_ID": POOL_ID,
            "MYSFITS_COGNITO_REGION": REGION,
            "MYSFITS_COGNITO_CLIENT_ID": CLIENT_ID,
        }
    ).cognito
    assert settings == CognitoSettings(POOL_ID, REGION, CLIENT_ID, None)
    assert settings.issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
    assert settings.jwks_location == settings.issuer + "/.well-known/jwks.json"


def test_jwks_url_override_keeps_the_aws_issuer() -> None:
    settings = Settings.from_env(
        {
            "MYSFITS_COGNITO_POOL_ID": POOL_ID,
            "MYSFITS_COGNITO_REGION": REGION,
            "MYSFITS_COGNITO_JWKS_URL": "http://127.0.0.1:4566/us-east-1_TestPool1/jwks",
        }
    ).cognito
    assert settings is not None
    assert settings.jwks_location == "http://127.0.0.1:4566/us-east-1_TestPool1/jwks"
    assert settings.issuer.startswith("https://cognito-idp.us-east-1.amazonaws.com/")


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"MYSFITS_COGNITO_POOL_ID": POOL_ID}, "set both"),
        ({"MYSFITS_COGNITO_REGION": REGION}, "set both"),
        ({"MYSFITS_COGNITO_CLIENT_ID": CLIENT_ID}, "set both"),
        ({"MYSFITS_COGNITO_POOL_ID": POOL_ID, "MYSFITS_COGNITO_REGION": "eu-west-1"}, "region"),
        ({"MYSFITS_COGNITO_POOL_ID": "not-a-pool", "MYSFITS_COGNITO_REGION": REGION}, "pool id"),
        (
            {
                "MYSFITS_COGNITO_POOL_ID": POOL_ID,
                "MYSFITS_COGNITO_REGION": REGION,
                "MYSFITS_COGNITO_JWKS_URL": "file:///etc/passwd",
            },
            r"http\(s\) URL",
        ),
    ],
)
def test_half_a_configuration_is_refused(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        Settings.from_env(env)


# -- what a valid token gives ---------------------------------------------------


def test_valid_id_token_names_the_user(verifier: TokenVerifier, pool_key: PoolKey) -> None:
    token = tokens.sign(pool_key, tokens.claims(sub="user-1"))
    assert verifier.verify(token).sub == "user-1"
    assert verifier.verify(f"Bearer {token}").sub == "user-1"


def test_client_id_when_configured_must_match(
    endpoint: FakeJwksEndpoint, pool_key: PoolKey
) -> None:
    checking = verifier_for(endpoint, client_id=CLIENT_ID)
    assert checking.verify(tokens.sign(pool_key, tokens.claims(sub="u"))).sub == "u"
    other_client = tokens.sign(pool_key, tokens.claims(aud="someotherclient"))
    assert "another app client" in refused(checking, other_client)
    # Without a configured client, any app client of the pool is accepted (as the authorizer).
    assert verifier_for(endpoint).verify(other_client).sub


# -- what is refused, and the reason given --------------------------------------


@pytest.mark.parametrize("header", [None, "", "   ", "Bearer", "Bearer   "])
def test_missing_token(verifier: TokenVerifier, header: str | None) -> None:
    assert "Sign in first" in refused(verifier, header)


def test_not_a_jwt(verifier: TokenVerifier) -> None:
    assert "not a JWT" in refused(verifier, "hello")


def test_expired(verifier: TokenVerifier, pool_key: PoolKey) -> None:
    token = tokens.sign(pool_key, tokens.claims(iat=1_000_000, exp=1_003_600))
    assert "expired" in refused(verifier, token)


def test_wrong_issuer(verifier: TokenVerifier, pool_key: PoolKey) -> None:
    # Signed with the right key, but claiming another pool: iss is checked, not just the key.
    token = tokens.sign(pool_key, tokens.claims(iss=tokens.issuer(tokens.OTHER_POOL_ID)))
    assert "another user pool" in refused(verifier, token)


def test_alg_none(verifier: TokenVerifier, pool_key: PoolKey) -> None:
    token = tokens.unsigned(tokens.claims(), kid=pool_key.kid)
    assert "RS256" in refused(verifier, token)


def test_symmetric_alg_with_the_public_key_is_refused(
    verifier: TokenVerifier, pool_key: PoolKey
) -> None:
    # The classic confusion: HS256 "signed" with the published public key as the HMAC secret.
    public_pem = pool_key.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "kid": pool_key.kid}
    signing_input = f"{b64(header)}.{b64(tokens.claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert "RS256" in refused(verifier, token)


def b64(value: dict[str, object]) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_tampered_payload(verifier: TokenVerifier, pool_key: PoolKey) -> None:
    token = tokens.sign(pool_key, tokens.claims(sub="mallory"))
    assert "not valid" in refused(verifier, tokens.tampered(token, sub="alice"))


def test_access_token_instead_of_id_token(verifier: TokenVerifier, pool_key: PoolKey) -> None:
    token = tokens.sign(pool_key, tokens.claims(token_use="access"))
    assert "ID token" in refused(verifier, token)


def test_signed_by_another_key_under_our_kid(
    verifier: TokenVerifier, pool_key: PoolKey, stranger_key: PoolKey
) -> None:
    token = tokens.sign(stranger_key, tokens.claims(), kid=pool_key.kid)
    assert "not valid" in refused(verifier, token)


def test_signed_by_a_key_the_pool_does_not_have(
    verifier: TokenVerifier, stranger_key: PoolKey
) -> None:
    assert "not signed by this user pool" in refused(
        verifier, tokens.sign(stranger_key, tokens.claims())
    )


@pytest.mark.parametrize("missing", ["sub", "exp", "iss", "token_use", "iat"])
def test_required_claims(verifier: TokenVerifier, pool_key: PoolKey, missing: str) -> None:
    token = tokens.sign(pool_key, tokens.claims(**{missing: None}))
    refused(verifier, token)


# -- the JWKS: fetched once, refetched for a new key, with a timeout ------------


def test_keys_are_fetched_once(
    verifier: TokenVerifier, endpoint: FakeJwksEndpoint, pool_key: PoolKey
) -> None:
    for number in range(5):
        verifier.verify(tokens.sign(pool_key, tokens.claims(sub=f"u{number}")))
    assert endpoint.fetches == [JWKS_URL]


def test_a_rotated_key_is_fetched_again(
    endpoint: FakeJwksEndpoint, clock: Clock, pool_key: PoolKey, stranger_key: PoolKey
) -> None:
    verifier = verifier_for(endpoint, clock)
    verifier.verify(tokens.sign(pool_key, tokens.claims()))
    endpoint.document = tokens.jwks(pool_key, stranger_key)  # the pool rotated in a new key
    clock.now += REFETCH_INTERVAL_SECONDS
    assert verifier.verify(tokens.sign(stranger_key, tokens.claims(sub="new"))).sub == "new"
    assert len(endpoint.fetches) == 2


def test_unknown_kids_do_not_refetch_more_than_once_a_minute(
    endpoint: FakeJwksEndpoint, clock: Clock, pool_key: PoolKey, stranger_key: PoolKey
) -> None:
    verifier = verifier_for(endpoint, clock)
    verifier.verify(tokens.sign(pool_key, tokens.claims()))
    for _ in range(20):
        refused(verifier, tokens.sign(stranger_key, tokens.claims()))
    assert len(endpoint.fetches) == 1
    clock.now += REFETCH_INTERVAL_SECONDS
    refused(verifier, tokens.sign(stranger_key, tokens.claims()))
    assert len(endpoint.fetches) == 2


def test_unreachable_jwks_is_503_and_retried(
    verifier: TokenVerifier, endpoint: FakeJwksEndpoint, pool_key: PoolKey
) -> None:
    endpoint.failure = TimeoutError("timed out")
    token = tokens.sign(pool_key, tokens.claims(sub="patient"))
    with pytest.raises(BackendUnavailable):
        verifier.verify(token)
    endpoint.failure = None
    assert verifier.verify(token).sub == "patient"
    assert len(endpoint.fetches) == 2


def test_a_jwks_that_is_not_json_is_503(
    verifier: TokenVerifier, endpoint: FakeJwksEndpoint, pool_key: PoolKey
) -> None:
    endpoint.document = b"<html>NoSuchBucket</html>"
    with pytest.raises(BackendUnavailable):
        verifier.verify(tokens.sign(pool_key, tokens.claims()))


@pytest.fixture
def jwks_server(pool_key: PoolKey) -> Iterator[str]:
    body = tokens.jwks(pool_key)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{POOL_ID}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


def test_keys_are_read_over_http(jwks_server: str, pool_key: PoolKey) -> None:
    settings = CognitoSettings(POOL_ID, REGION, jwks_url=jwks_server)
    verifier = TokenVerifier(settings)
    assert verifier.verify(tokens.sign(pool_key, tokens.claims(sub="over-http"))).sub
    assert b'"keys"' in fetch_url(jwks_server, 2.0)
