"""S3 API fixes in front of moto.

AWS behaviours restored (moto 5.2.5 misses each):
- a new bucket starts with all four Block Public Access settings on and ACLs disabled;
- PutBucketPolicy answers 400 MalformedPolicy for a malformed document, and 403
  AccessDenied for a public policy while BlockPublicPolicy is on;
- unsigned requests get only what the bucket policy grants to everyone: listing needs
  s3:ListBucket, writes need s3:PutObject, and a missing key is 403 without ListBucket;
  an unsigned ListBuckets (GET /) is 403 AccessDenied (moto listed every bucket);
- configuration documents are checked as S3 checks them (`documents`): MalformedXML,
  MissingRequestBodyError, a website configuration without an index document;
- paths are read as UTF-8, so keys such as `é.html` are found.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, cast
from urllib.parse import parse_qs

from ..core.awserrors import AwsError, has_action, s3_error_xml, signing_service
from ..core.wsgi import StartResponse, WsgiApp, call_and_capture, read_body, request_path, respond
from . import access as s3_access
from .documents import MALFORMED_XML, document_problem, expected_document
from .policy import MalformedPolicy, is_public, parse_policy

log = logging.getLogger("mysfits.local.s3")
ACCESS_DENIED = AwsError(403, "AccessDenied", "Access Denied")

# Query parameters that refine a listing or a read rather than naming another operation.
_LIST_PARAMS = {
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "continuation-token",
    "start-after",
    "marker",
    "encoding-type",
    "fetch-owner",
}
_READ_PARAMS = {"versionId", "partNumber"} | {
    f"response-{h}"
    for h in (
        "content-type",
        "content-language",
        "expires",
        "cache-control",
        "content-disposition",
        "content-encoding",
    )
}


def is_s3_request(environ: dict[str, Any]) -> bool:
    """Signed for S3, or an unsigned path-style request (how anonymous visitors reach S3)."""
    service = signing_service(environ)
    if service is not None:
        return service == "s3"
    path = environ.get("PATH_INFO", "/")
    if environ.get("HTTP_X_AMZ_TARGET") or path.startswith("/moto-api"):
        return False
    if path in {"", "/"}:  # ListBuckets, unless it is an unsigned query-protocol call (STS)
        return environ["REQUEST_METHOD"] in {"GET", "HEAD"} and not has_action(environ)
    return True


def is_signed(environ: dict[str, Any], query: dict[str, list[str]]) -> bool:
    """Whether the request carries a signature (header or presigned URL)."""
    return (
        bool(environ.get("HTTP_AUTHORIZATION"))
        or "X-Amz-Signature" in query
        or "Signature" in query
    )


def split_path(path: str) -> tuple[str, str | None]:
    """('bucket', 'key') from a decoded path-style S3 path; key None for bucket-level requests."""
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, (key if key else None)


def _error(
    start_response: StartResponse, error: AwsError, head: bool = False, **extra: str
) -> list[bytes]:
    body = s3_error_xml(error.code, error.message, **extra)
    return respond(start_response, error.status, body, "application/xml", head=head)


class S3ApiFixes:
    """Wraps moto's S3 handling with the AWS behaviours listed in the module docstring."""

    def __init__(self, on_website_change: Callable[[], None]):
        self._on_website_change = on_website_change

    def __call__(
        self, environ: dict[str, Any], start_response: StartResponse, moto: WsgiApp
    ) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        bucket_name, key = split_path(request_path(environ))
        method = environ["REQUEST_METHOD"]
        if not is_signed(environ, query):
            return self._anonymous(environ, start_response, moto, method, bucket_name, key, query)
        refusal = self._refusal(environ, method, bucket_name, key, set(query))
        if refusal is not None:
            return _error(start_response, refusal)
        if method == "PUT" and key is None and not query:
            return self._create_bucket(environ, start_response, moto, bucket_name)
        result = _moto_reading_document(
            environ, start_response, moto, method, set(query), key is None
        )
        if key is None and ("website" in query or method == "DELETE"):
            result = list(result)
            self._on_website_change()
        return result

    def _create_bucket(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        moto: WsgiApp,
        bucket_name: str,
    ) -> Iterable[bytes]:
        existed = s3_access.find_bucket(bucket_name) is not None
        status, chunks = call_and_capture(moto, environ, start_response)
        bucket = s3_access.find_bucket(bucket_name)
        if status == 200 and not existed and bucket is not None:
            bucket.public_access_block = s3_access.all_blocked()
            if not bucket.ownership_rule:  # an explicit x-amz-object-ownership header wins
                # moto annotates a dict but stores the ObjectOwnership string, as for the header
                bucket.ownership_rule = cast(Any, "BucketOwnerEnforced")
        return chunks

    def _refusal(
        self,
        environ: dict[str, Any],
        method: str,
        bucket_name: str,
        key: str | None,
        params: set[str],
    ) -> AwsError | None:
        """Why S3 would refuse this signed request before acting on it, or None."""
        if expected_document(method, params, key is None) is not None:
            problem = document_problem(method, params, key is None, read_body(environ))
            if problem is not None:
                return problem
        if method == "PUT" and key is None and "policy" in params:
            return self._policy_refusal(environ, bucket_name)
        return None

    def _policy_refusal(self, environ: dict[str, Any], bucket_name: str) -> AwsError | None:
        bucket = s3_access.find_bucket(bucket_name)
        if bucket is None:
            return None  # moto answers NoSuchBucket
        try:
            policy = parse_policy(read_body(environ).decode("utf-8", "replace"), bucket_name)
        except MalformedPolicy as error:
            return AwsError(400, "MalformedPolicy", str(error))
        if s3_access.blocks_public_policy(bucket) and is_public(policy):
            return ACCESS_DENIED
        return None

    def _anonymous(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        moto: WsgiApp,
        method: str,
        bucket_name: str,
        key: str | None,
        query: dict[str, list[str]],
    ) -> Iterable[bytes]:
        head = method == "HEAD"
        if not bucket_name:  # ListBuckets: never for anonymous callers
            return _error(start_response, ACCESS_DENIED, head)
        bucket = s3_access.find_bucket(bucket_name)
        if bucket is None:
            no_bucket = AwsError(404, "NoSuchBucket", "The specified bucket does not exist")
            return _error(start_response, no_bucket, head, BucketName=bucket_name)
        action = _anonymous_action(method, key, set(query))
        allowed = action is not None and s3_access.anonymous_may(bucket, action, key)
        if allowed and action == "s3:GetObject" and key not in bucket.keys:
            allowed = s3_access.anonymous_may(bucket, "s3:ListBucket")
        if not allowed:
            return _error(start_response, ACCESS_DENIED, head)
        return moto(environ, start_response)


def _moto_reading_document(
    environ: dict[str, Any],
    start_response: StartResponse,
    moto: WsgiApp,
    method: str,
    params: set[str],
    bucket_level: bool,
) -> Iterable[bytes]:
    """moto's answer; when it cannot read a well-formed configuration document, S3's MalformedXML.

    moto's parsers raise on documents that break S3's schema (a Tag without a Value, a lifecycle
    rule without a Status); S3 answers those 400 MalformedXML.
    """
    if expected_document(method, params, bucket_level) is None:
        return moto(environ, start_response)
    try:
        return list(moto(environ, start_response))
    except Exception:
        log.warning(
            "moto could not read the %s document; answering MalformedXML",
            sorted(params),
            exc_info=True,
        )
        return _error(start_response, MALFORMED_XML)


def _anonymous_action(method: str, key: str | None, params: set[str]) -> str | None:
    """The IAM action an unsigned request needs, or None for what anonymous callers may never do."""
    if key is None:
        return "s3:ListBucket" if method in {"GET", "HEAD"} and params <= _LIST_PARAMS else None
    if not params <= _READ_PARAMS:
        return None
    return {
        "GET": "s3:GetObject",
        "HEAD": "s3:GetObject",
        "PUT": "s3:PutObject",
        "DELETE": "s3:DeleteObject",
    }.get(method)
