"""S3 website endpoints: one loopback server per bucket with a website configuration.

Reproduces AWS's website rules: index documents for `/` and `dir/`, a 302 from `dir`
to `dir/`, 403 for what anonymous users may not read, 403 rather than 404 for a
missing key unless the policy grants s3:ListBucket, the error document as the body
of every 4xx, HTML error pages, GET and HEAD only, UTF-8 keys, conditional and range
requests (`conditional`), and an HTML 500 InternalError page should anything fail here.
"""

from __future__ import annotations

import html
import logging
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from moto.s3.models import FakeBucket, FakeKey

from ...awsurls import website_url
from ..core.endpoints import Endpoint, EndpointRegistry, serve_wsgi
from ..core.wsgi import StartResponse, request_path, respond
from . import access as s3_access
from .conditional import Unsatisfiable, byte_range, precondition_status

KIND = "s3-website"
_MESSAGES = {
    "NoSuchKey": "The specified key does not exist.",
    "AccessDenied": "Access Denied",
    "NoSuchWebsiteConfiguration": "The specified bucket does not have a website configuration",
    "NoSuchBucket": "The specified bucket does not exist",
    "PreconditionFailed": "At least one of the pre-conditions you specified did not hold",
    "InvalidRange": "The requested range is not satisfiable",
    "InternalError": "We encountered an internal error. Please try again.",
}
log = logging.getLogger("mysfits.local.s3.website")


@dataclass(frozen=True)
class WebsiteConfig:
    """The parts of a bucket's website configuration the endpoint uses."""

    index_suffix: str
    error_key: str | None


def parse_website_config(raw: bytes | str | None) -> WebsiteConfig | None:
    """Read moto's stored WebsiteConfiguration XML (namespace or not)."""
    if not raw:
        return None
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        return None  # the S3 fixes refuse such documents; one stored another way serves nothing
    found = {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root.iter()}
    suffix = found.get("Suffix")
    return WebsiteConfig(suffix, found.get("Key")) if suffix else None


class WebsiteApp:
    """The WSGI app behind one bucket's website endpoint (reads the live S3 state per request)."""

    def __init__(self, bucket_name: str):
        self.bucket_name = bucket_name

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._serve(environ, start_response)
        except Exception:
            log.exception("website %s failed on %s", self.bucket_name, environ.get("PATH_INFO"))
            body = _error_page(500, "InternalError", _MESSAGES["InternalError"], "")
            head = environ["REQUEST_METHOD"] == "HEAD"
            return respond(
                start_response, 500, body, "text/html; charset=utf-8", {"Server": "AmazonS3"}, head
            )

    def _serve(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        head = method == "HEAD"
        bucket = s3_access.find_bucket(self.bucket_name)
        config = parse_website_config(bucket.website_configuration) if bucket else None
        if bucket is None or config is None:
            code = "NoSuchBucket" if bucket is None else "NoSuchWebsiteConfiguration"
            return self._error(start_response, 404, code, "", None, None, head)
        if method not in {"GET", "HEAD"}:
            body = _error_page(
                405,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                "",
            )
            return respond(
                start_response, 405, body, "text/html; charset=utf-8", {"Allow": "GET, HEAD"}
            )
        key = request_path(environ).lstrip("/")
        if key == "" or key.endswith("/"):
            key += config.index_suffix
        obj = _object(bucket, key)
        if obj is None:
            return self._missing(start_response, key, bucket, config, head)
        if not s3_access.anonymous_may(bucket, "s3:GetObject", key):
            return self._error(start_response, 403, "AccessDenied", key, bucket, config, head)
        return self._object_response(environ, start_response, obj, (bucket, config), head)

    def _missing(
        self,
        start_response: StartResponse,
        key: str,
        bucket: FakeBucket,
        config: WebsiteConfig,
        head: bool,
    ) -> Iterable[bytes]:
        """No such key: 302 to the folder when it has an index document, else 404 or 403."""
        if _object(bucket, f"{key}/{config.index_suffix}") is not None:
            return respond(
                start_response, 302, b"", "text/html; charset=utf-8", {"Location": f"/{key}/"}, head
            )
        if s3_access.anonymous_may(bucket, "s3:ListBucket"):
            return self._error(start_response, 404, "NoSuchKey", key, bucket, config, head)
        return self._error(start_response, 403, "AccessDenied", key, bucket, config, head)

    def _object_response(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        obj: FakeKey,
        site: tuple[FakeBucket, WebsiteConfig],
        head: bool,
    ) -> Iterable[bytes]:
        headers = {
            "ETag": obj.etag,
            "Last-Modified": obj.last_modified_RFC1123,
            "Server": "AmazonS3",
            "Accept-Ranges": "bytes",
            "x-amz-request-id": _request_id(),
        }
        decided = precondition_status(environ, obj.etag, obj.last_modified)
        if decided == 304:
            start_response("304 Not Modified", list(headers.items()))
            return []
        if decided == 412:
            return self._error(start_response, 412, "PreconditionFailed", obj.name, *site, head)
        content_type = obj.metadata.get("Content-Type") or "binary/octet-stream"
        try:
            span = byte_range(environ.get("HTTP_RANGE"), len(obj.value))
        except Unsatisfiable as unsatisfiable:
            return self._error(
                start_response,
                416,
                "InvalidRange",
                obj.name,
                *site,
                head,
                {"Content-Range": unsatisfiable.content_range},
            )
        if span is None:
            return respond(start_response, 200, obj.value, content_type, headers, head)
        first, last = span
        headers["Content-Range"] = f"bytes {first}-{last}/{len(obj.value)}"
        return respond(
            start_response, 206, obj.value[first : last + 1], content_type, headers, head
        )

    def _error(
        self,
        start_response: StartResponse,
        status: int,
        code: str,
        key: str,
        bucket: FakeBucket | None,
        config: WebsiteConfig | None,
        head: bool,
        extra: dict[str, str] | None = None,
    ) -> Iterable[bytes]:
        message = _MESSAGES[code]
        headers = {
            "x-amz-error-code": code,
            "x-amz-error-message": message,
            "Server": "AmazonS3",
            "x-amz-request-id": _request_id(),
            **(extra or {}),
        }
        if code == "NoSuchKey":
            headers["x-amz-error-detail-Key"] = key
        document = _error_document(bucket, config)
        if document is not None:
            content_type = document.metadata.get("Content-Type") or "binary/octet-stream"
            return respond(start_response, status, document.value, content_type, headers, head)
        body = _error_page(status, code, message, key)
        return respond(start_response, status, body, "text/html; charset=utf-8", headers, head)


def _object(bucket: FakeBucket, key: str) -> FakeKey | None:
    obj = bucket.keys.get(key)
    return obj if isinstance(obj, FakeKey) else None


def _error_document(bucket: FakeBucket | None, config: WebsiteConfig | None) -> FakeKey | None:
    """The custom error document, when configured and readable by anonymous users."""
    if bucket is None or config is None or not config.error_key:
        return None
    document = _object(bucket, config.error_key)
    if document is None or not s3_access.anonymous_may(bucket, "s3:GetObject", config.error_key):
        return None
    return document


def _request_id() -> str:
    return uuid.uuid4().hex[:16].upper()


def _error_page(status: int, code: str, message: str, key: str) -> bytes:
    """AWS's plain HTML error page for website endpoints without an error document."""
    title = f"{status} {HTTPStatus(status).phrase}"
    key_line = f"<li>Key: {html.escape(key)}</li>\n" if code == "NoSuchKey" else ""
    return (
        f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n"
        f"<li>Code: {code}</li>\n<li>Message: {html.escape(message)}</li>\n{key_line}"
        f"<li>RequestId: {_request_id()}</li>\n<li>HostId: {uuid.uuid4().hex}</li>\n</ul>\n"
        "<hr/>\n</body>\n</html>\n"
    ).encode()


def reconcile(registry: EndpointRegistry) -> None:
    """Serve every bucket that has a website configuration; stop serving the rest."""
    wanted = {
        name: bucket
        for name, bucket in s3_access.backend().buckets.items()
        if bucket.website_configuration
    }
    for name in registry.names(KIND) - set(wanted):
        registry.close(KIND, name)
    for name, bucket in wanted.items():
        if registry.get(KIND, name) is None:
            local_url, stop = serve_wsgi(WebsiteApp(name))
            registry.add(
                Endpoint(KIND, name, website_url(name, bucket.region_name), local_url, stop)
            )
