"""The local Cognito's added behaviour over moto's models: codes sent, codes checked, keys served.

AWS behaviours restored (moto 5.2.5 differs on each):
- SignUp sends a 6-digit code to the attribute the pool auto-verifies (`email` here), and says
  so in `CodeDeliveryDetails` (`EMAIL`, `email`, `a***@e***`); moto sends nothing and, for a
  pool without an `AccountRecoverySetting`, reports an SMS to a made-up number;
- ConfirmSignUp accepts only the code sent, within 24 hours: another code is
  CodeMismatchException "Invalid verification code provided, please try again.", an old one
  ExpiredCodeException "Invalid code provided, please request a code again."; confirming marks
  the attribute the code went to verified (`email_verified: true`); a user already confirmed is
  NotAuthorizedException "User cannot be confirmed. Current status is CONFIRMED"; moto accepts
  any code, confirms again, and never sets `email_verified`;
- ResendConfirmationCode sends a fresh code (the old one stops working); moto lacks the call.
"""

from __future__ import annotations

import time
from typing import Any

from moto.cognitoidp.exceptions import (
    CodeMismatchException,
    ExpiredCodeException,
    NotAuthorizedError,
)
from moto.cognitoidp.models import (
    CognitoIdpUser,
    CognitoIdpUserPool,
    UserStatus,
    cognitoidp_backends,
)

from ..core.stores import Stores
from .state import Clock, CodeExpired, CodeMismatch, CognitoStore, Message

SIGN_UP = "sign-up"
_MEDIA = (("email", "EMAIL"), ("phone_number", "SMS"))


def mask(address: str) -> str:
    """How Cognito shows where a code went: `a***@e***` for e-mail, `+*******1234` for a phone."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return "+" + "*" * max(len(address) - 5, 0) + address[-4:]


def delivery_target(pool: CognitoIdpUserPool, user: CognitoIdpUser) -> tuple[str, str] | None:
    """(attribute, medium) a sign-up code goes to: an auto-verified attribute the user has."""
    auto = pool.extended_config.get("AutoVerifiedAttributes") or []
    for attribute, medium in _MEDIA:
        if attribute in auto and user.attribute_lookup.get(attribute):
            return attribute, medium
    return None


def find_pool(pool_id: str) -> CognitoIdpUserPool | None:
    """The pool with this id in any account and region moto holds."""
    for regions in cognitoidp_backends.values():
        for region, backend in regions.items():
            if region != "global" and pool_id in backend.user_pools:
                return backend.user_pools[pool_id]
    return None


class CognitoService:
    """One local cloud's Cognito additions; `clock` is replaceable so expiry can be tested."""

    def __init__(self, stores: Stores, clock: Clock = time.time):
        self._stores = stores
        self.clock = clock

    def store(self, account: str, region: str) -> CognitoStore:
        return self._stores.get("cognito", account, region, CognitoStore)

    def _pool_store(self, pool: CognitoIdpUserPool) -> CognitoStore:
        return self.store(pool.account_id, pool.region)

    def send_code(
        self, pool: CognitoIdpUserPool, user: CognitoIdpUser, kind: str = SIGN_UP
    ) -> dict[str, str] | None:
        """Issue and deliver a confirmation code; the CodeDeliveryDetails (None: sent nowhere)."""
        target = delivery_target(pool, user)
        if target is None:
            return None
        attribute, medium = target
        address = user.attribute_lookup[attribute]
        store, now = self._pool_store(pool), self.clock()
        code = store.codes.issue(pool.id, user.username, SIGN_UP, now)
        store.mailbox.deliver(self._message(pool, address, medium, kind, code), now)
        return {"Destination": mask(address), "DeliveryMedium": medium, "AttributeName": attribute}

    @staticmethod
    def _message(pool: CognitoIdpUserPool, to: str, medium: str, kind: str, code: str) -> Message:
        config = pool.extended_config
        if medium == "EMAIL":
            subject = config.get("EmailVerificationSubject") or "Your verification code"
            template = config.get("EmailVerificationMessage") or "Your verification code is {####}."
        else:
            subject = ""
            template = config.get("SmsVerificationMessage") or "Your verification code is {####}."
        return Message(to, medium, kind, subject, template.replace("{####}", code), code, pool.id)

    def confirm(self, pool: CognitoIdpUserPool, user: CognitoIdpUser, code: str) -> None:
        """Check `code` for `user` (raising AWS's errors) and mark its attribute verified."""
        if user.status is not UserStatus.UNCONFIRMED:
            raise NotAuthorizedError(
                f"User cannot be confirmed. Current status is {UserStatus(user.status).value}"
            )
        try:
            self._pool_store(pool).codes.redeem(pool.id, user.username, SIGN_UP, code, self.clock())
        except CodeMismatch:
            raise CodeMismatchException(
                "Invalid verification code provided, please try again."
            ) from None
        except CodeExpired:
            raise ExpiredCodeException(
                "Invalid code provided, please request a code again."
            ) from None
        target = delivery_target(pool, user)
        if target is not None:
            user.update_attributes([{"Name": f"{target[0]}_verified", "Value": "true"}])

    def jwks(self, pool_id: str) -> dict[str, Any] | None:
        """The pool's JWKS document, or None when no such pool exists."""
        pool = find_pool(pool_id)
        return None if pool is None else self._pool_store(pool).keys.of(pool.id).jwks()

    def sign(self, pool: CognitoIdpUserPool, claims: dict[str, Any]) -> str:
        return self._pool_store(pool).keys.of(pool.id).sign(claims)

    def mail(self, to: str | None = None) -> list[dict[str, Any]]:
        """Every message delivered (to `to` only, when given), oldest first."""
        found = [
            m.as_json()
            for _, _, store in self._stores.of("cognito")
            for m in store.mailbox.messages(to)
        ]
        return sorted(found, key=lambda m: str(m["sent_at"]))
