"""What the local Cognito adds to moto's state: codes, mailbox and keys, per account and region.

A real pool e-mails (or texts) a confirmation code that is valid for 24 hours; moto neither sends
nor checks one. Here every code is kept in a `CodeBook` and every message a pool would send is
recorded in a `Mailbox` that the notebooks, the CLI and the tests can read.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from .keys import KeyRing

# AWS: "The confirmation code sent in a verification message is valid for 24 hours."
CODE_LIFETIME_SECONDS = 24 * 60 * 60
Clock = Callable[[], float]


class CodeMismatch(Exception):
    """The code is not the one issued (or none was issued)."""


class CodeExpired(Exception):
    """The code was issued more than 24 hours ago."""


def new_code() -> str:
    """Six random digits, as Cognito's default verification message carries."""
    return f"{secrets.randbelow(1_000_000):06d}"


@dataclass(frozen=True)
class PendingCode:
    code: str
    issued_at: float


class CodeBook:
    """The one valid code per (pool, user, purpose); issuing again replaces the earlier one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[tuple[str, str, str], PendingCode] = {}

    def issue(self, pool_id: str, username: str, purpose: str, now: float) -> str:
        code = new_code()
        with self._lock:
            self._codes[(pool_id, username, purpose)] = PendingCode(code, now)
        return code

    def redeem(self, pool_id: str, username: str, purpose: str, code: str, now: float) -> None:
        """Accept `code` once, or raise CodeMismatch / CodeExpired (AWS checks the code first)."""
        key = (pool_id, username, purpose)
        with self._lock:
            pending = self._codes.get(key)
            if pending is None or not secrets.compare_digest(pending.code, code):
                raise CodeMismatch(code)
            if now - pending.issued_at > CODE_LIFETIME_SECONDS:
                raise CodeExpired(code)
            del self._codes[key]


@dataclass(frozen=True)
class Message:
    """One message a real pool would have delivered."""

    to: str
    medium: str  # EMAIL or SMS
    kind: str  # sign-up, resend, forgot-password
    subject: str
    body: str
    code: str
    pool_id: str
    sent_at: str = field(default="")

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class Mailbox:
    """Every message sent, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[Message] = []

    def deliver(self, message: Message, now: float) -> None:
        stamped = datetime.fromtimestamp(now, UTC).isoformat(timespec="seconds")
        with self._lock:
            self._messages.append(Message(**{**asdict(message), "sent_at": stamped}))

    def messages(self, to: str | None = None) -> list[Message]:
        with self._lock:
            found = list(self._messages)
        return [m for m in found if to is None or m.to.lower() == to.lower()]


class CognitoStore:
    """One account and region's added Cognito state."""

    def __init__(self) -> None:
        self.codes = CodeBook()
        self.mailbox = Mailbox()
        self.keys = KeyRing()
