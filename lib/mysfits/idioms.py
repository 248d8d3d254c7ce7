"""The AWS error idioms the resource modules share, keyed on modelled error codes.

"Absent is None", "delete if present", "create if absent", "create or get", "retry while"
and "translated into a domain error". Each names the error codes that mean its situation (and,
where AWS gives one code to many situations, words of the message); any other error propagates
untouched, so a denied call or a bad request is never mistaken for a missing resource.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from botocore.exceptions import ClientError

from .errors import error_code
from .waiting import WaitTimedOut, wait_until

T = TypeVar("T")


@dataclass(frozen=True)
class Answer:
    """An AWS error answer: its code, narrowed by words of its message where AWS reuses the code."""

    code: str
    message: str = ""

    def matches(self, error: ClientError) -> bool:
        """Whether `error` has this code and its message contains `message`."""
        said = str(error.response.get("Error", {}).get("Message", ""))
        return error_code(error) == self.code and self.message in said


Code = str | Answer


def answered(error: ClientError, *codes: Code) -> bool:
    """Whether AWS answered with one of `codes` (a plain string matches the code alone)."""
    return any((Answer(c) if isinstance(c, str) else c).matches(error) for c in codes)


def absent_is_none(call: Callable[[], T], *codes: Code) -> T | None:
    """`call()`'s result, or None when AWS answers one of `codes` (the resource does not exist)."""
    try:
        return call()
    except ClientError as error:
        if answered(error, *codes):
            return None
        raise


def done_unless(call: Callable[[], object], *codes: Code) -> bool:
    """True once `call()` ran; False when AWS answered one of `codes` (there was nothing to do)."""
    # A one-item list is never None, whatever `call` returns.
    return absent_is_none(lambda: [call()], *codes) is not None


def delete_if_present(call: Callable[[], object], *gone: Code) -> bool:
    """Run a delete call: True if it deleted, False when AWS answers one of `gone`."""
    return done_unless(call, *gone)


def create_if_absent(call: Callable[[], object], *exists: Code) -> bool:
    """Run a create call: True if it created, False when AWS answers one of `exists`."""
    return done_unless(call, *exists)


def create_or_get(create: Callable[[], T], get: Callable[[], T], *exists: Code) -> T:
    """What `create()` made, or what `get()` finds when AWS answers one of `exists`."""
    made = absent_is_none(create, *exists)
    return get() if made is None else made


@contextmanager
def translated(
    *codes: Code, into: Exception | Callable[[ClientError], Exception]
) -> Iterator[None]:
    """In the block, an AWS answer in `codes` raises `into` (a domain error saying what to do).

    `into` may be a function of the AWS error, for a domain error that repeats AWS's reason.
    """
    try:
        yield
    except ClientError as error:
        if answered(error, *codes):
            raise (into if isinstance(into, Exception) else into(error)) from error
        raise


def retry_while(
    call: Callable[[], T],
    *codes: Code,
    what: str,
    timeout: float = 120.0,
    interval: float = 5.0,
    hint: str = "",
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """`call()`'s result, calling it again while AWS answers one of `codes`.

    For conditions that pass by themselves: a new IAM role not yet usable everywhere, a
    cluster whose tasks are still stopping. Raises `WaitTimedOut` naming `what`, `hint` and
    AWS's last answer when `timeout` seconds pass first.
    """
    last: list[str] = []

    def attempt() -> tuple[T] | None:
        try:
            return (call(),)  # a tuple, so that a falsy result still counts as success
        except ClientError as error:
            if not answered(error, *codes):
                raise
            last[:] = [f"{error_code(error)}: {error.response.get('Error', {}).get('Message', '')}"]
            return None

    first = attempt()  # most calls succeed at once: no progress bar then
    if first is not None:
        return first[0]
    try:
        return wait_until(
            attempt,
            what=what,
            timeout=timeout,
            interval=interval,
            hint=hint,
            sleep=sleep,
            clock=clock,
        )[0]
    except WaitTimedOut as timed_out:
        raise WaitTimedOut(f"{timed_out} AWS last answered {last[0]}") from None
