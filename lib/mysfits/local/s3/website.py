"""S3 website endpoints: one loopback server per bucket with a website configuration.

Reproduces AWS's website rules: index documents for `/` and `dir/`, a 302 from `dir`
to `dir/`, 403 for what anonymous users may not read, 403 rather than 404 for a
missing key unless the policy grants s3:ListBucket, the error document as the body
of every 4xx, HTML error pages, GET and HEAD only.
"""

from __future__ import annotations

import html
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Iterable
from urllib.parse import unquote

from moto.s3.models import FakeBucket, FakeKey

from ...awsurls import website_url
from ..core.endpoints import Endpoint, EndpointRegistry, serve_wsgi
from . import access as s3_access
from ..core.wsgi import StartResponse, respond

KIND = "s3-website"
_MESSAGES = {"NoSuchKey": "The specified key does not exist.", "AccessDenied": "Access Denied",
             "NoSuchWebsiteConfiguration": "The specified bucket does not have a website configuration",
             "NoSuchBucket": "The specified bucket does not exist"}


@dataclass(frozen=True)
class WebsiteConfig:
    """The parts of a bucket's website configuration the endpoint uses."""

    index_suffix: str
    error_key: str | None


def parse_website_config(raw: bytes | str | None) -> WebsiteConfig | None:
    """Read moto's stored WebsiteConfiguration XML (namespace or not)."""
    if not raw:
        return None
    root = ET.fromstring(raw)
    found = {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root.iter()}
    suffix = found.get("Suffix")
    return WebsiteConfig(suffix, found.get("Key")) if suffix else None


class WebsiteApp:
    """The WSGI app behind one bucket's website endpoint (reads the live S3 state per request)."""

    def __init__(self, bucket_name: str):
        self.bucket_name = bucket_name

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        head = method == "HEAD"
        bucket = s3_access.find_bucket(self.bucket_name)
        config = parse_website_config(bucket.website_configuration) if bucket else None
        if bucket is None or config is None:
            code = "NoSuchBucket" if bucket is None else "NoSuchWebsiteConfiguration"
            return self._error(start_response, 404, code, "", None, None, head)
        if method not in {"GET", "HEAD"}:
            body = _error_page(405, "MethodNotAllowed", "The specified method is not allowed against this resource.", "")
            return respond(start_response, 405, body, "text/html; charset=utf-8", {"Allow": "GET, HEAD"})
        key = unquote(environ.get("PATH_INFO", "/")).lstrip("/")
        if key == "" or key.endswith("/"):
            key += config.index_suffix
        obj = _object(bucket, key)
        if obj is None:
            if _object(bucket, f"{key}/{config.index_suffix}") is not None:
                return respond(start_response, 302, b"", "text/html; charset=utf-8", {"Location": f"/{key}/"}, head)
            if s3_access.anonymous_may(bucket, "s3:ListBucket"):
                return self._error(start_response, 404, "NoSuchKey", key, bucket, config, head)
            return self._error(start_response, 403, "AccessDenied", key, bucket, config, head)
        if not s3_access.anonymous_may(bucket, "s3:GetObject", key):
            return self._error(start_response, 403, "AccessDenied", key, bucket, config, head)
        return self._object_response(environ, start_response, obj, head)

    def _object_response(self, environ: dict[str, Any], start_response: StartResponse, obj: FakeKey,
                         head: bool) -> Iterable[bytes]:
        headers = {"ETag": obj.etag, "Last-Modified": obj.last_modified_RFC1123, "Server": "AmazonS3",
                   "x-amz-request-id": _request_id()}
        if _not_modified(environ, obj):
            start_response("304 Not Modified", list(headers.items()))
            return []
        content_type = obj.metadata.get("Content-Type") or "binary/octet-stream"
        return respond(start_response, 200, obj.value, content_type, headers, head)

    def _error(self, start_response: StartResponse, status: int, code: str, key: str,
               bucket: FakeBucket | None, config: WebsiteConfig | None, head: bool) -> Iterable[bytes]:
        message = _MESSAGES[code]
        headers = {"x-amz-error-code": code, "x-amz-error-message": message, "Server": "AmazonS3",
                   "x-amz-request-id": _request_id()}
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


def _not_modified(environ: dict[str, Any], obj: FakeKey) -> bool:
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match:
        return obj.etag in {tag.strip() for tag in if_none_match.split(",")} or if_none_match.strip() == "*"
    since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if since:
        try:
            return obj.last_modified.replace(microsecond=0) <= parsedate_to_datetime(since).replace(tzinfo=None)
        except (TypeError, ValueError):
            return False
    return False


def _request_id() -> str:
    return uuid.uuid4().hex[:16].upper()


def _error_page(status: int, code: str, message: str, key: str) -> bytes:
    """AWS's plain HTML error page for website endpoints without an error document."""
    title = f"{status} {'Not Found' if status == 404 else 'Forbidden' if status == 403 else 'Method Not Allowed'}"
    key_line = f"<li>Key: {html.escape(key)}</li>\n" if code == "NoSuchKey" else ""
    return (
        f"<html>\n<head><title>{title}</title></head>\n<body>\n<h1>{title}</h1>\n<ul>\n"
        f"<li>Code: {code}</li>\n<li>Message: {html.escape(message)}</li>\n{key_line}"
        f"<li>RequestId: {_request_id()}</li>\n<li>HostId: {uuid.uuid4().hex}</li>\n</ul>\n<hr/>\n</body>\n</html>\n"
    ).encode()


def reconcile(registry: EndpointRegistry) -> None:
    """Serve every bucket that has a website configuration; stop serving the rest."""
    wanted = {name: bucket for name, bucket in s3_access.backend().buckets.items() if bucket.website_configuration}
    for name in registry.names(KIND) - set(wanted):
        registry.close(KIND, name)
    for name, bucket in wanted.items():
        if registry.get(KIND, name) is None:
            local_url, stop = serve_wsgi(WebsiteApp(name))
            registry.add(Endpoint(KIND, name, website_url(name, bucket.region_name), local_url, stop))
