"""Record every AWS API call a Workshop's session makes, through botocore's event hooks.

Handlers go on the session's event emitter, so every client made from it afterwards (the
Workshop's cached ones and its anonymous ones) reports to the same recorder.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.model import OperationModel

from . import awscli, documents
from .calllog import CallLog
from .record import ApiCall
from .redact import redact

LOG_ENV = "MYSFITS_API_CALLS_LOG"  # a JSON-lines file every recorded call is appended to
_CONTEXT_KEY = "mysfits.api_call"
MAX_HELD = 5000  # calls kept between two tables; polling loops must not grow memory forever


@dataclass
class _Pending:
    """A call on its way: what it asked, from when."""

    service: str
    operation: str
    params: dict[str, Any]
    started: str
    clock: float
    region: str
    signed: bool
    cli: str
    sent: documents.Sent

    def finish(self, status: int | None, error: str) -> ApiCall:
        return ApiCall(
            self.service,
            self.operation,
            self.params,
            status,
            error,
            self.started,
            round((time.monotonic() - self.clock) * 1000, 1),
            self.region,
            self.signed,
            self.cli,
            self.sent.documents,
            self.sent.files,
        )


def _begin(model: OperationModel, params: dict[str, Any], context: dict[str, Any]) -> _Pending:
    service = model.service_model.service_name
    kept = redact(params)
    config = context.get("client_config")
    signed = getattr(config, "signature_version", None) is not UNSIGNED
    sent = documents.extract(service, model.name, kept)
    cli = awscli.command(service, model, kept, sent.files, sent.whole_request, signed)
    started = datetime.now(UTC).isoformat(timespec="milliseconds")
    return _Pending(
        service,
        model.name,
        kept,
        started,
        time.monotonic(),
        context.get("client_region") or "",
        signed,
        cli,
        sent,
    )


class CallRecorder:
    """The calls a session made: shown per notebook step, and logged to a file in headless runs."""

    def __init__(self, log_path: str | None = None, endpoint_url: str | None = None) -> None:
        self.log_path = log_path if log_path is not None else os.environ.get(LOG_ENV) or None
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._held: list[ApiCall] = []
        self._dropped = 0
        self._steps: list[list[ApiCall]] = []
        self._sessions: set[int] = set()

    def attach(self, session: boto3.Session) -> None:
        """Record the calls of every client `session` creates from now on (idempotent)."""
        if id(session) in self._sessions:
            return
        self._sessions.add(id(session))
        events = session.events
        events.register(
            "provide-client-params", self._on_params, unique_id=f"mysfits-calls-{id(self)}-params"
        )
        events.register(
            "after-call", self._on_response, unique_id=f"mysfits-calls-{id(self)}-after"
        )
        events.register(
            "after-call-error", self._on_failure, unique_id=f"mysfits-calls-{id(self)}-error"
        )

    # botocore handlers: they must never break the call they observe, so they only record.
    def _on_params(
        self, params: dict[str, Any], model: OperationModel, context: dict[str, Any], **_: Any
    ) -> None:
        context[_CONTEXT_KEY] = _begin(model, params, context)

    def _on_response(
        self, http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        pending = context.pop(_CONTEXT_KEY, None)
        if pending is None:
            return
        status = getattr(http_response, "status_code", None)
        error = ""
        if status is None or status >= 300:
            error = str(parsed.get("Error", {}).get("Code") or f"HTTP {status}")
        self.record(pending.finish(status, error))

    def _on_failure(self, exception: BaseException, context: dict[str, Any], **_: Any) -> None:
        pending = context.pop(_CONTEXT_KEY, None)
        if pending is not None:
            self.record(pending.finish(None, type(exception).__name__))

    def record(self, call: ApiCall) -> None:
        """Keep `call` for the next table and every open step; append it to the log file."""
        with self._lock:
            self._held.append(call)
            if len(self._held) > MAX_HELD:
                del self._held[0]
                self._dropped += 1
            for step in self._steps:
                step.append(call)
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as log:
                    log.write(json.dumps(call.as_json(), sort_keys=True) + "\n")

    def table(self, title: str = "") -> CallLog:
        """The calls made since the previous table (or since connecting), to show under a step."""
        with self._lock:
            calls, dropped = list(self._held), self._dropped
            self._held, self._dropped = [], 0
        return CallLog(title, calls, self.endpoint_url, dropped)

    @contextmanager
    def step(self, title: str) -> Iterator[CallLog]:
        """`with ws.calls.step("Create the bucket") as calls:` fills `calls` during the block."""
        collected: list[ApiCall] = []
        log = CallLog(title, collected, self.endpoint_url)
        with self._lock:
            self._steps.append(collected)
        try:
            yield log
        finally:
            with self._lock:
                self._steps.remove(collected)
