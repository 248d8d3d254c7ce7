"""Invoke, answered as AWS does, by running the function (moto 5.2.5 needs Docker for that).

`POST /2015-03-31/functions/{name}/invocations` [1]: `X-Amz-Invocation-Type` `RequestResponse`
(200, the function's payload, `X-Amz-Executed-Version`, `X-Amz-Function-Error: Unhandled` on a
function error, `X-Amz-Log-Result` with `X-Amz-Log-Type: Tail`), `Event` (202, run in the
background) or `DryRun` (204). A body that is not JSON is 400 InvalidRequestContentException; a
body over 6 MB (1 MB for `Event`) 413 RequestTooLargeException; no free concurrency 429
TooManyRequestsException `{"Reason", "Type": "User", "message": "Rate Exceeded."}` [2].

[1] https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
[2] github.com/localstack/localstack tests/aws/services/lambda_ snapshots, recorded against AWS
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from moto.awslambda.responses import LambdaResponse

from ..core.patching import Patches
from . import reports
from .code import BadCode
from .pool import Retired, Throttled
from .settings import UnsupportedRuntime

if TYPE_CHECKING:
    from .service import LambdaService

MAX_SYNC_REQUEST = 6 * 1024 * 1024
MAX_EVENT_REQUEST = 1024 * 1024
Response = tuple[int, dict[str, str], bytes]


class InvokeError(Exception):
    """An Invoke that AWS refuses: status, error code, message and extra body fields."""

    def __init__(self, status: int, code: str, message: str, **extra: str):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def response(self) -> Response:
        body = {**self.extra, "Type": "User", "message": self.message}
        headers = {"status": str(self.status), "x-amzn-ErrorType": self.code}
        return (
            self.status,
            {**headers, "content-type": "application/json"},
            json.dumps(body).encode(),
        )


def checked_event(body: bytes, invocation_type: str) -> bytes:
    """The request body as the event, after AWS's size and JSON checks."""
    limit = MAX_EVENT_REQUEST if invocation_type == "Event" else MAX_SYNC_REQUEST
    if len(body) > limit:
        raise InvokeError(
            413,
            "RequestTooLargeException",
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
        )
    if not body.strip():
        return b"{}"
    try:
        json.loads(body)
    except ValueError as error:
        raise InvokeError(
            400,
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {error}",
        ) from error
    return body


def answered(
    outcome_failed: bool, payload: bytes, log: list[str], version: str, tail: bool
) -> Response:
    """The 200 answer of a RequestResponse invocation."""
    if len(payload) > reports.MAX_RESPONSE_BYTES:
        outcome_failed, payload = True, json.dumps(reports.too_large_payload()).encode()
    headers = {
        "status": "200",
        "content-type": "application/json",
        "X-Amz-Executed-Version": version,
    }
    if outcome_failed:
        headers["X-Amz-Function-Error"] = "Unhandled"
    if tail:
        headers["X-Amz-Log-Result"] = reports.tail(log)
    return 200, headers, payload


class Invoker:
    """The replacement for moto's `LambdaResponse.invoke`, bound to one local cloud's service."""

    def __init__(self, service: LambdaService):
        self.service = service

    def __call__(self, response: LambdaResponse) -> Response:
        try:
            return self._invoke(response)
        except InvokeError as error:
            return error.response()

    def _invoke(self, response: LambdaResponse) -> Response:
        name = unquote(response.path.rsplit("/", 2)[-2])
        qualifier = response.querystring.get("Qualifier", [None])[0]
        function = response.backend.get_function(name, qualifier)  # 404 when there is none
        invocation_type = response.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        raw = response.raw_body
        body = raw.encode() if isinstance(raw, str) else (raw or b"")
        event = checked_event(body, invocation_type)
        request_id = str(uuid.uuid4())
        try:
            return self._run(function, invocation_type, request_id, event, response.headers)
        except Throttled as throttled:
            raise InvokeError(
                429, "TooManyRequestsException", "Rate Exceeded.", Reason=throttled.reason
            ) from throttled
        except UnsupportedRuntime as error:
            raise InvokeError(502, "InvalidRuntimeException", str(error)) from error
        except BadCode as error:
            raise InvokeError(502, "InvalidZipFileException", str(error)) from error
        except Retired as error:
            message = f"Function not found: {function.function_arn}:{function.version}"
            raise InvokeError(404, "ResourceNotFoundException", message) from error

    def _run(
        self, function: Any, invocation_type: str, request_id: str, event: bytes, headers: Any
    ) -> Response:
        if invocation_type == "DryRun":
            return 204, {"status": "204"}, b""
        if invocation_type == "Event":
            self.service.enqueue(function, request_id, event)
            return 202, {"status": "202"}, b""
        outcome = self.service.invoke(function, request_id, event)
        tail = headers.get("X-Amz-Log-Type") == "Tail"
        return answered(outcome.failed, outcome.payload, outcome.log, str(function.version), tail)


def apply(patches: Patches, service: LambdaService) -> None:
    """Invoke runs the function here instead of in Docker."""
    invoker = Invoker(service)

    def invoke(self: LambdaResponse) -> Response:
        return invoker(self)

    patches.apply("lambda.invoke", LambdaResponse, "invoke", invoke)
