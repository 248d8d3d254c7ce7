"""Conditional and range requests on the website endpoint, evaluated as S3 evaluates them.

Preconditions, in RFC 9110's order [1], as GetObject documents them [2]: `If-Match` that fails is
412 PreconditionFailed, and so is `If-Unmodified-Since` when there is no `If-Match`; a matching
`If-None-Match` is 304, and so is `If-Modified-Since` when there is no `If-None-Match`. One byte
range gives 206 with `Content-Range`; a range that starts past the end is 416 InvalidRange with
`Content-Range: bytes */<size>`. S3 serves one range per request [2]: a header naming several
(or not parsing) is ignored and the whole object sent, as RFC 9110 allows; what S3 itself answers
to several ranges is unconfirmed.

[1] https://www.rfc-editor.org/rfc/rfc9110#section-13.2.2
[2] https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
"""

from __future__ import annotations

import re
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")}


def _matches(header: str, etag: str) -> bool:
    return header.strip() == "*" or etag.strip('"') in _tags(header)


def _date(header: str | None) -> datetime | None:
    try:
        return parsedate_to_datetime(header).replace(tzinfo=None) if header else None
    except (TypeError, ValueError):
        return None  # an unparsable date is ignored, as RFC 9110 says


def precondition_status(environ: dict[str, Any], etag: str, last_modified: datetime) -> int | None:
    """412 or 304 when a precondition decides the answer, else None (serve the object)."""
    modified = last_modified.replace(microsecond=0, tzinfo=None)
    if_match = environ.get("HTTP_IF_MATCH")
    if if_match is not None and not _matches(if_match, etag):
        return 412
    unmodified_since = _date(environ.get("HTTP_IF_UNMODIFIED_SINCE"))
    if if_match is None and unmodified_since is not None and modified > unmodified_since:
        return 412
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        return 304 if _matches(if_none_match, etag) else None
    since = _date(environ.get("HTTP_IF_MODIFIED_SINCE"))
    return 304 if since is not None and modified <= since else None


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte one `Range` header asks for, or None to send everything.

    Raises `Unsatisfiable` for a range that lies wholly past the end of the object.
    """
    match = _RANGE.fullmatch((header or "").strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # the last N bytes
        if int(last) == 0:
            raise Unsatisfiable(size)
        return max(size - int(last), 0), size - 1
    if last and int(last) < int(first):
        return None  # not a valid range: ignored
    if int(first) >= size:
        raise Unsatisfiable(size)
    return int(first), min(int(last) if last else size - 1, size - 1)


class Unsatisfiable(Exception):
    """The range lies past the end of the object (416)."""

    def __init__(self, size: int):
        super().__init__(f"bytes */{size}")
        self.content_range = f"bytes */{size}"
