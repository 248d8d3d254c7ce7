"""The named patches that put the local Cognito's behaviour into moto.

AWS behaviours restored here (moto 5.2.5 differs on each), besides those `service`, `tokens`
and `passwords` describe:
- InitiateAuth refuses a flow the app client does not enable: InvalidParameterException
  "USER_PASSWORD_AUTH flow not enabled for this client" (a client without ExplicitAuthFlows
  allows SRP, refresh and custom auth only); moto accepts every flow on every client;
- with `PreventUserExistenceErrors=ENABLED` an unknown user signing in gets the same
  NotAuthorizedException "Incorrect username or password." as a wrong password; moto answers
  UserNotFoundException, telling an attacker which addresses have accounts;
- UpdateUserPool leaves what can only be set at creation (UsernameAttributes, AliasAttributes,
  UsernameConfiguration) as it was, and the tags unless the request sets them; moto rebuilt
  the pool's settings from the request alone, so a pool that took e-mail addresses as user
  names stopped doing so.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jwt
from moto.cognitoidp.exceptions import (
    InvalidParameterException,
    NotAuthorizedError,
    ResourceNotFoundError,
    UserNotFoundError,
)
from moto.cognitoidp.models import (
    CognitoIdpBackend,
    CognitoIdpUserPool,
    RegionAgnosticBackend,
    UserStatus,
)
from moto.cognitoidp.responses import CognitoIdpResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult

from ..core.patching import Patches
from . import passwords, tokens
from .service import CognitoService

# The flows a client without ExplicitAuthFlows allows (AWS's default).
DEFAULT_FLOWS = ("ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH")
# InitiateAuth's flow -> the ExplicitAuthFlows values (new and legacy) that enable it.
ENABLING = {
    "USER_PASSWORD_AUTH": {"ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"},
    "USER_SRP_AUTH": {"ALLOW_USER_SRP_AUTH"},
    "REFRESH_TOKEN_AUTH": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "REFRESH_TOKEN": {"ALLOW_REFRESH_TOKEN_AUTH"},
    "CUSTOM_AUTH": {"ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"},
}
_ALWAYS_ON_LEGACY = {"USER_SRP_AUTH", "REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"}
KEPT_ON_UPDATE = ("UsernameAttributes", "AliasAttributes", "UsernameConfiguration", "UserPoolTags")


def flow_enabled(client_config: dict[str, Any], auth_flow: str) -> bool:
    """Whether the app client allows `auth_flow` (clients of legacy values keep SRP and refresh)."""
    enabling = ENABLING.get(auth_flow)
    if enabling is None:
        return True  # not a client-gated flow: moto's own validation answers
    flows = set(client_config.get("ExplicitAuthFlows") or DEFAULT_FLOWS)
    legacy = not any(flow.startswith("ALLOW_") for flow in flows)
    return bool(flows & enabling) or (legacy and auth_flow in _ALWAYS_ON_LEGACY)


def pool_of_client(backend: CognitoIdpBackend, client_id: str) -> CognitoIdpUserPool | None:
    return next((p for p in backend.user_pools.values() if client_id in p.clients), None)


def _agnostic_backend(handler: CognitoIdpResponse, client_id: str) -> CognitoIdpBackend:
    agnostic: RegionAgnosticBackend = handler._get_region_agnostic_backend()
    return agnostic._find_backend_for_clientid(client_id)


def _validate_password(backend: CognitoIdpBackend, user_pool_id: str, password: str) -> None:
    pool = backend.describe_user_pool(user_pool_id)
    policy = (pool.extended_config.get("Policies") or {}).get("PasswordPolicy")
    message = passwords.violation(policy, password)
    if message is not None:
        raise JsonRESTError("InvalidPasswordException", message)


def _sign_up(service: CognitoService) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def sign_up(backend: CognitoIdpBackend, client_id: str, *args: Any, **kwargs: Any) -> Any:
            user, _ = original(backend, client_id, *args, **kwargs)
            pool = pool_of_client(backend, client_id)
            return user, (service.send_code(pool, user) if pool is not None else None)

        return sign_up

    return make


def _confirm_sign_up(service: CognitoService) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def confirm_sign_up(handler: CognitoIdpResponse) -> Any:
            client_id = handler._get_param("ClientId")
            pool = pool_of_client(_agnostic_backend(handler, client_id), client_id)
            user = pool._get_user(handler._get_param("Username")) if pool is not None else None
            if pool is not None and user is not None:  # else moto answers (not found)
                service.confirm(pool, user, str(handler._get_param("ConfirmationCode") or ""))
            return original(handler)

        return confirm_sign_up

    return make


def _resend_confirmation_code(service: CognitoService) -> Callable[[CognitoIdpResponse], Any]:
    def resend_confirmation_code(handler: CognitoIdpResponse) -> ActionResult:
        client_id = handler._get_param("ClientId")
        pool = pool_of_client(_agnostic_backend(handler, client_id), client_id)
        if pool is None:
            raise ResourceNotFoundError(client_id)
        user = pool._get_user(handler._get_param("Username"))
        if user is None:
            raise UserNotFoundError("Username/client id combination not found.")
        if user.status is not UserStatus.UNCONFIRMED:
            raise InvalidParameterException("User is already confirmed.")
        return ActionResult({"CodeDeliveryDetails": service.send_code(pool, user, "resend")})

    return resend_confirmation_code


def _initiate_auth(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def initiate_auth(
        backend: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> Any:
        pool = pool_of_client(backend, client_id)
        config = pool.clients[client_id].extended_config if pool is not None else {}
        if pool is not None and not flow_enabled(config, auth_flow):
            raise InvalidParameterException(f"{auth_flow} flow not enabled for this client")
        try:
            return original(backend, client_id, auth_flow, auth_parameters)
        except UserNotFoundError:
            if config.get("PreventUserExistenceErrors") == "ENABLED":
                raise NotAuthorizedError("Incorrect username or password.") from None
            raise

    return initiate_auth


def _update_user_pool(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_user_pool(
        backend: CognitoIdpBackend, user_pool_id: str, extended_config: dict[str, Any]
    ) -> Any:
        config = backend.describe_user_pool(user_pool_id).extended_config
        kept = {k: config[k] for k in KEPT_ON_UPDATE if k in config and k not in extended_config}
        result = original(backend, user_pool_id, extended_config)
        backend.describe_user_pool(user_pool_id).extended_config.update(kept)
        return result

    return update_user_pool


def _create_jwt(service: CognitoService) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def make(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def create_jwt(
            pool: CognitoIdpUserPool,
            client_id: str,
            username: str,
            token_use: str,
            expires_in: int = 3600,
            extra_data: dict[str, Any] | None = None,
        ) -> tuple[str, int]:
            # moto's claims are the base (sub, iss, aud/client_id, username, groups, ...)
            token, _ = original(pool, client_id, username, token_use, expires_in, extra_data)
            base = jwt.decode(token, options={"verify_signature": False})
            client = pool.clients.get(client_id)
            lifetime = tokens.lifetime_seconds(client.extended_config if client else {}, token_use)
            shaped = tokens.claims(base, token_use, lifetime, pool._get_user(username).attributes)
            return service.sign(pool, shaped), lifetime

        return create_jwt

    return make


def apply(patches: Patches, service: CognitoService) -> None:
    """Apply every Cognito fix under the `cognito.` prefix."""
    patches.apply(
        "cognito.password-policy", CognitoIdpBackend, "_validate_password", _validate_password
    )
    patches.wrap("cognito.sign-up-code", CognitoIdpBackend, "sign_up", _sign_up(service))
    patches.wrap(
        "cognito.confirm-code", CognitoIdpResponse, "confirm_sign_up", _confirm_sign_up(service)
    )
    patches.apply(
        "cognito.resend-code",
        CognitoIdpResponse,
        "resend_confirmation_code",
        _resend_confirmation_code(service),
    )
    patches.wrap(
        "cognito.update-keeps-creation-settings",
        CognitoIdpBackend,
        "update_user_pool",
        _update_user_pool,
    )
    patches.wrap("cognito.auth-flows", CognitoIdpBackend, "initiate_auth", _initiate_auth)
    patches.wrap("cognito.tokens", CognitoIdpUserPool, "create_jwt", _create_jwt(service))
