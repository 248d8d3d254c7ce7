"""Requests AWS refuses before any service looks at them, refused in AWS's words.

- An `Authorization` header that is not a well-formed SigV4 one: S3 answers 400 InvalidArgument
  ("Authorization header is invalid -- one and only one ' ' (space) required", "Unsupported
  Authorization Type") or 400 AuthorizationHeaderMalformed ("... requires three components:
  Credential, SignedHeaders, and Signature", "... the Credential is mal-formed; expecting ...")
  [1]; the other APIs 400 IncompleteSignature[Exception] ("Authorization header requires
  'Credential' parameter. ...") [2] (observed in public captures of AWS answers).
- An `X-Amz-Target` without `Service.Operation` is an unknown operation (400, as observed);
  an unsigned one outside the few APIs AWS serves unsigned (Cognito's) is 403
  MissingAuthenticationToken [2].
(moto 5.2.5 raised on each of these: werkzeug's HTML 500 page.)

[1] https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
[2] https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html
"""

from __future__ import annotations

from typing import Any

from moto.moto_server.werkzeug_app import UNSIGNED_REQUESTS

from .awserrors import AwsError, protocol_of

SIGV4 = "AWS4-HMAC-SHA256"
_PARTS = ("Credential", "SignedHeaders", "Signature")
_CREDENTIAL_FORM = '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request"'


def refusal(environ: dict[str, Any]) -> AwsError | None:
    """The error AWS would answer before running the request, or None."""
    return _authorization(environ) or _target(environ)


def _authorization(environ: dict[str, Any]) -> AwsError | None:
    header = environ.get("HTTP_AUTHORIZATION")
    if header is None:
        return None
    s3 = protocol_of(environ) == "s3"
    scheme, space, rest = header.strip().partition(" ")
    if scheme == "AWS" and s3 and ":" in rest:
        return None  # SigV2, which S3 still reads
    if scheme != SIGV4:
        return _not_sigv4(environ, header, s3, bool(space))
    return _sigv4_problem(environ, header, rest, s3)


def _sigv4_problem(environ: dict[str, Any], header: str, rest: str, s3: bool) -> AwsError | None:
    fields = dict(_pair(part) for part in rest.split(","))
    missing = [name for name in _PARTS if not fields.get(name)]
    if missing:
        return _missing_parts(environ, header, missing, s3)
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or not all(scope) or scope[4] != "aws4_request":
        return _malformed_credential(environ, s3)
    return None


def _missing_parts(environ: dict[str, Any], header: str, missing: list[str], s3: bool) -> AwsError:
    if s3:
        return AwsError(
            400,
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; "
            "the authorization header requires three components: Credential, "
            "SignedHeaders, and Signature.",
        )
    wanted = " ".join(f"Authorization header requires '{n}' parameter." for n in missing)
    return _incomplete(environ, f"{wanted} Authorization={header}")


def _malformed_credential(environ: dict[str, Any], s3: bool) -> AwsError:
    message = (
        "The authorization header is malformed; the Credential is mal-formed; "
        f"expecting {_CREDENTIAL_FORM}."
    )
    return (
        AwsError(400, "AuthorizationHeaderMalformed", message)
        if s3
        else _incomplete(environ, message)
    )


def _pair(part: str) -> tuple[str, str]:
    name, _, value = part.strip().partition("=")
    return name.strip(), value.strip()


def _not_sigv4(environ: dict[str, Any], header: str, s3: bool, has_space: bool) -> AwsError:
    if s3 and not has_space:
        return AwsError(
            400,
            "InvalidArgument",
            "Authorization header is invalid -- one and only one ' ' (space) required",
        )
    if s3:
        return AwsError(400, "InvalidArgument", "Unsupported Authorization Type")
    missing = " ".join(f"Authorization header requires '{n}' parameter." for n in _PARTS)
    return _incomplete(environ, f"{missing} Authorization={header}")


def _incomplete(environ: dict[str, Any], message: str) -> AwsError:
    json_protocol = protocol_of(environ) in {"json", "rest-json"}
    return AwsError(
        400, "IncompleteSignatureException" if json_protocol else "IncompleteSignature", message
    )


def _target(environ: dict[str, Any]) -> AwsError | None:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if not target:
        return None
    prefix, dot, operation = target.partition(".")
    if not (dot and prefix.strip() and operation.strip()):
        return AwsError(400, "UnknownOperationException", f"Unknown operation {target}.")
    if not environ.get("HTTP_AUTHORIZATION") and prefix not in UNSIGNED_REQUESTS:
        return AwsError(
            403, "MissingAuthenticationTokenException", "Request is missing Authentication Token"
        )
    return None
