"""S3 API fixes in front of moto.

AWS behaviours restored (moto 5.2.5 misses each):
- a new bucket starts with all four Block Public Access settings on and ACLs disabled;
- PutBucketPolicy answers 400 MalformedPolicy for a malformed document, and 403
  AccessDenied for a public policy while BlockPublicPolicy is on;
- unsigned requests get only what the bucket policy grants to everyone: listing needs
  s3:ListBucket, writes need s3:PutObject, and a missing key is 403 without ListBucket.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, cast
from urllib.parse import parse_qs, unquote

from ..core.gateway import signing_service
from ..core.wsgi import StartResponse, WsgiApp, call_and_capture, read_body, respond
from . import access as s3_access
from .policy import MalformedPolicy, is_public, parse_policy

# Query parameters that refine a listing or a read rather than naming another operation.
_LIST_PARAMS = {"list-type", "prefix", "delimiter", "max-keys", "continuation-token", "start-after",
                "marker", "encoding-type", "fetch-owner"}
_READ_PARAMS = {"versionId", "partNumber"} | {f"response-{h}" for h in
                ("content-type", "content-language", "expires", "cache-control", "content-disposition",
                 "content-encoding")}


def is_s3_request(environ: dict[str, Any]) -> bool:
    """Signed for S3, or an unsigned path-style request (how anonymous visitors reach S3)."""
    service = signing_service(environ)
    if service is not None:
        return service == "s3"
    path = environ.get("PATH_INFO", "/")
    return not environ.get("HTTP_X_AMZ_TARGET") and path not in {"", "/"} and not path.startswith("/moto-api")


def is_signed(environ: dict[str, Any], query: dict[str, list[str]]) -> bool:
    """Whether the request carries a signature (header or presigned URL)."""
    return bool(environ.get("HTTP_AUTHORIZATION")) or "X-Amz-Signature" in query or "Signature" in query


def split_path(path: str) -> tuple[str, str | None]:
    """('bucket', 'key') from a path-style S3 path; key None for bucket-level requests."""
    bucket, _, key = unquote(path).lstrip("/").partition("/")
    return bucket, (key if key else None)


class S3ApiFixes:
    """Wraps moto's S3 handling with the AWS behaviours listed in the module docstring."""

    def __init__(self, on_website_change: Callable[[], None]):
        self._on_website_change = on_website_change

    def __call__(self, environ: dict[str, Any], start_response: StartResponse, moto: WsgiApp) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        bucket_name, key = split_path(environ.get("PATH_INFO", "/"))
        method = environ["REQUEST_METHOD"]
        if not is_signed(environ, query):
            return self._anonymous(environ, start_response, moto, method, bucket_name, key, query)
        if method == "PUT" and key is None and "policy" in query:
            refusal = self._policy_refusal(environ, bucket_name)
            if refusal is not None:
                status, code, message = refusal
                return respond(start_response, status, s3_access.error_xml(code, message), "application/xml")
        if method == "PUT" and key is None and not query:
            return self._create_bucket(environ, start_response, moto, bucket_name)
        result = moto(environ, start_response)
        if key is None and ("website" in query or method == "DELETE"):
            result = list(result)
            self._on_website_change()
        return result

    def _create_bucket(self, environ: dict[str, Any], start_response: StartResponse, moto: WsgiApp,
                       bucket_name: str) -> Iterable[bytes]:
        existed = s3_access.find_bucket(bucket_name) is not None
        status, chunks = call_and_capture(moto, environ, start_response)
        bucket = s3_access.find_bucket(bucket_name)
        if status == 200 and not existed and bucket is not None:
            bucket.public_access_block = s3_access.all_blocked()
            if not bucket.ownership_rule:  # an explicit x-amz-object-ownership header wins
                # moto annotates a dict but stores the ObjectOwnership string, as it does for the header
                bucket.ownership_rule = cast(Any, "BucketOwnerEnforced")
        return chunks

    def _policy_refusal(self, environ: dict[str, Any], bucket_name: str) -> tuple[int, str, str] | None:
        bucket = s3_access.find_bucket(bucket_name)
        if bucket is None:
            return None  # moto answers NoSuchBucket
        try:
            policy = parse_policy(read_body(environ).decode("utf-8", "replace"), bucket_name)
        except MalformedPolicy as error:
            return 400, "MalformedPolicy", str(error)
        if s3_access.blocks_public_policy(bucket) and is_public(policy):
            return 403, "AccessDenied", "Access Denied"
        return None

    def _anonymous(self, environ: dict[str, Any], start_response: StartResponse, moto: WsgiApp, method: str,
                   bucket_name: str, key: str | None, query: dict[str, list[str]]) -> Iterable[bytes]:
        head = method == "HEAD"
        bucket = s3_access.find_bucket(bucket_name) if bucket_name else None
        if bucket is None:
            body = s3_access.error_xml("NoSuchBucket", "The specified bucket does not exist", BucketName=bucket_name)
            return respond(start_response, 404, body, "application/xml", head=head)
        action = _anonymous_action(method, key, set(query))
        allowed = action is not None and s3_access.anonymous_may(bucket, action, key)
        if allowed and action == "s3:GetObject" and key not in bucket.keys:
            allowed = s3_access.anonymous_may(bucket, "s3:ListBucket")
        if not allowed:
            return respond(start_response, 403, s3_access.error_xml("AccessDenied", "Access Denied"),
                           "application/xml", head=head)
        return moto(environ, start_response)


def _anonymous_action(method: str, key: str | None, params: set[str]) -> str | None:
    """The IAM action an unsigned request needs, or None for what we never let anonymous callers do."""
    if key is None:
        return "s3:ListBucket" if method in {"GET", "HEAD"} and params <= _LIST_PARAMS else None
    if not params <= _READ_PARAMS:
        return None
    return {"GET": "s3:GetObject", "HEAD": "s3:GetObject", "PUT": "s3:PutObject",
            "DELETE": "s3:DeleteObject"}.get(method)
