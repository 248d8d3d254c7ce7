"""Module 4: the learner's own user of the pool, signed up once and confirmed with its code.

The confirmation code goes where a real pool e-mails it: on AWS the learner's inbox, which only
the learner can read (they type it, or pass it as the `confirmation_code` parameter of a second
headless run); on the local cloud, its mailbox. Run again, a confirmed user is neither signed up
nor confirmed again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import users
from .errors import WorkshopError
from .idioms import absent_is_none
from .workshop import Workshop


class CodeNeeded(WorkshopError):
    """The code is in the learner's inbox, and this run may not ask for it."""


@dataclass(frozen=True)
class Learner:
    """The learner's user, and what this run did for it."""

    email: str
    status: str  # as Cognito reports it now: CONFIRMED
    signed_up: bool
    confirmed: bool


def user_status(ws: Workshop, pool: users.UserPool, email: str) -> str | None:
    """The user's status (UNCONFIRMED, CONFIRMED, ...), or None when the pool has no such user."""
    idp = ws.client("cognito-idp")
    found = absent_is_none(
        lambda: idp.admin_get_user(UserPoolId=pool.id, Username=email), "UserNotFoundException"
    )
    return None if found is None else str(found["UserStatus"])


def confirmation_code(
    ws: Workshop, email: str, given: str = "", ask: Callable[[str], str] | None = None
) -> str:
    """The code: `given`, else the local cloud's mailbox, else what `ask` gets from the learner."""
    if given:
        return given.strip()
    if ws.mailbox(to=email) is not None:
        return users.read_confirmation_code(ws, email)
    if ask is not None:
        return ask(f"The confirmation code Cognito e-mailed to {email}: ").strip()
    raise CodeNeeded(
        f"Cognito e-mailed a confirmation code to {email}: run the notebook again with it, "
        "e.g. `mysfits run --only 04 -p confirmation_code=123456` (or with interactive=True "
        "to type it)"
    )


def ensure_confirmed_user(
    ws: Workshop,
    pool: users.UserPool,
    client: users.AppClient,
    email: str,
    password: str,
    code: str = "",
    ask: Callable[[str], str] | None = None,
) -> Learner:
    """Sign `email` up unless it exists, and confirm it unless it is confirmed already."""
    status = user_status(ws, pool, email)
    signed_up = status is None
    if signed_up:
        users.sign_up(ws, client, email, password)
        status = "UNCONFIRMED"
    confirmed = status == "UNCONFIRMED"
    if confirmed:
        users.confirm(ws, client, email, confirmation_code(ws, email, code, ask))
        status = user_status(ws, pool, email) or "gone"
    return Learner(email, str(status), signed_up, confirmed)
