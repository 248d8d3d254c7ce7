"""AWS-shaped errors, in the wire format of the API that was called.

AWS answers an error in the protocol of the operation [1][2]: S3 (REST-XML) with
`<Error><Code/><Message/><RequestId/><HostId/></Error>`; the JSON protocols (an `X-Amz-Target`
header) with `{"__type": code, "message": ...}` and an `x-amzn-ErrorType` header; REST-JSON
services with `{"message": ...}` and that header; query protocols (an `Action` parameter) with
`<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`, EC2 with
`<Response><Errors><Error>...</Errors><RequestID/></Response>`. HEAD answers carry no body.

[1] https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
[2] https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal
from xml.sax.saxutils import escape

from .wsgi import StartResponse, read_body, respond

Protocol = Literal["s3", "json", "rest-json", "query", "ec2"]


@dataclass(frozen=True)
class AwsError:
    """One error as AWS reports it: HTTP status, error code, message."""

    status: int
    code: str
    message: str


def signing_service(environ: dict[str, Any]) -> str | None:
    """The service named in a SigV4 Authorization header's credential scope."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
        return scope.split("/")[3].strip() or None
    except IndexError:
        return None


def has_action(environ: dict[str, Any]) -> bool:
    """Whether the request names a query-protocol `Action` (in the query string or a form body)."""
    if "Action=" in environ.get("QUERY_STRING", ""):
        return True
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        return False
    # A body of unknown length (chunked) is left alone: reading it here would consume it.
    return bool(environ.get("CONTENT_LENGTH")) and b"Action=" in read_body(environ)


_PROTOCOL_KEY = "mysfits.aws_protocol"


def protocol_of(environ: dict[str, Any]) -> Protocol:
    """The wire protocol of the operation a request calls (S3 when nothing else says).

    Worked out once per request and kept in the environ: after moto has read a form body,
    the body can no longer tell.
    """
    if _PROTOCOL_KEY not in environ:
        environ[_PROTOCOL_KEY] = _protocol(environ)
    return environ[_PROTOCOL_KEY]


def _protocol(environ: dict[str, Any]) -> Protocol:
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    service = signing_service(environ)
    if has_action(environ):
        return "ec2" if service == "ec2" else "query"
    # One endpoint serves every service; unless a signature names another, it is S3's (as in moto).
    return "s3" if service in {None, "s3"} else "rest-json"


def request_id() -> str:
    return uuid.uuid4().hex[:16].upper()


# Characters XML 1.0 cannot carry even escaped (a bucket name taken from a path may hold them).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """`value` as XML character data."""
    return escape(_NOT_XML.sub("\ufffd", value))


def s3_error_xml(code: str, message: str, **extra: str) -> bytes:
    """An S3 REST error body, as AWS sends it."""
    fields = "".join(f"<{k}>{xml_text(v)}</{k}>" for k, v in extra.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{xml_text(code)}</Code><Message>{xml_text(message)}</Message>{fields}"
        f"<RequestId>{request_id()}</RequestId><HostId>{uuid.uuid4().hex}</HostId></Error>"
    ).encode()


def _query_xml(error: AwsError) -> bytes:
    kind = "Receiver" if error.status >= 500 else "Sender"
    return (
        f"<ErrorResponse><Error><Type>{kind}</Type><Code>{xml_text(error.code)}</Code>"
        f"<Message>{xml_text(error.message)}</Message></Error><RequestId>{request_id()}</RequestId>"
        "</ErrorResponse>"
    ).encode()


def _ec2_xml(error: AwsError) -> bytes:
    return (
        f"<Response><Errors><Error><Code>{xml_text(error.code)}</Code>"
        f"<Message>{xml_text(error.message)}</Message></Error></Errors>"
        f"<RequestID>{request_id()}</RequestID></Response>"
    ).encode()


def _json_content_type(environ: dict[str, Any]) -> str:
    asked = environ.get("CONTENT_TYPE", "")
    return asked if asked.startswith("application/x-amz-json-1.") else "application/x-amz-json-1.1"


def render(environ: dict[str, Any], error: AwsError) -> tuple[bytes, str, dict[str, str]]:
    """Body, content type and headers of `error` in the protocol of the request."""
    protocol = protocol_of(environ)
    ids = {"x-amzn-RequestId": request_id()}
    if protocol == "s3":
        return s3_error_xml(error.code, error.message), "application/xml", {}
    if protocol == "json":
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        return body, _json_content_type(environ), {"x-amzn-ErrorType": error.code, **ids}
    if protocol == "rest-json":
        body = json.dumps({"message": error.message}).encode()
        return body, "application/json", {"x-amzn-ErrorType": error.code, **ids}
    return (_ec2_xml(error) if protocol == "ec2" else _query_xml(error)), "text/xml", ids


def respond_error(
    environ: dict[str, Any], start_response: StartResponse, error: AwsError
) -> list[bytes]:
    """Send `error` as the called API would."""
    body, content_type, headers = render(environ, error)
    head = environ.get("REQUEST_METHOD") == "HEAD"
    return respond(start_response, error.status, body, content_type, headers, head)


def internal_error(environ: dict[str, Any]) -> AwsError:
    """What AWS answers when it fails itself: S3's InternalError, elsewhere InternalFailure [2]."""
    if protocol_of(environ) == "s3":
        return AwsError(500, "InternalError", "We encountered an internal error. Please try again.")
    return AwsError(
        500,
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    )


def unknown_operation(environ: dict[str, Any], name: str) -> AwsError:
    """An operation the service lacks: UnknownOperationException (InvalidAction for query APIs)."""
    if protocol_of(environ) in {"query", "ec2"}:
        return AwsError(400, "InvalidAction", f"Could not find operation {name}.")
    return AwsError(400, "UnknownOperationException", f"Unknown operation {name}.")


def not_implemented(environ: dict[str, Any], detail: str) -> AwsError:
    """An operation moto has no code for: AWS lacks it too, or the local cloud does."""
    unknown = unknown_operation(environ, "")
    return AwsError(
        unknown.status, unknown.code, f"The local cloud has no such operation ({detail})."
    )


def unroutable(environ: dict[str, Any]) -> AwsError:
    """A request naming no operation of a service served here (AWS has no such endpoint)."""
    service = signing_service(environ)
    signed_for = f", signed for service '{service}'," if service else ""
    unknown = unknown_operation(environ, "")
    message = f"The request{signed_for} names no operation of a service this endpoint serves."
    return AwsError(unknown.status, unknown.code, message)
