"""Clicks through the deployed stream: send them to the API, read what Firehose delivered.

Delivered objects are newline-delimited JSON (the processor ends each record with "\\n"), under
`clicks/YYYY/MM/dd/HH/`, gzipped (`.gz`) when the stream compresses; failed records are
Firehose's error records under `processing-failed/`, each with the original click in `rawData`.
Listing, reading, unzipping and decoding are module 6's loader's (`clickobjects`,
`clickrecords`, `clickfailures`); this module sends clicks and checks what came of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests

from .checks import Check
from .clickfailures import raw_bytes
from .clickobjects import DELIVERED_PREFIX, ERROR_PREFIX, fetch_each, list_objects
from .clickrecords import record_lines
from .streaming import ClickStream
from .waiting import Progress, WaitTimedOut, wait_until
from .workshop import Workshop


@dataclass(frozen=True)
class Answer:
    """What the click API answered one request."""

    status: int
    body: Any
    sent: Any

    @property
    def click_id(self) -> str | None:
        return self.body.get("clickId") if isinstance(self.body, dict) else None


@dataclass(frozen=True)
class Delivered:
    """One object Firehose wrote, with its records (JSON objects)."""

    key: str
    records: tuple[dict[str, Any], ...]


def send(ws: Workshop, stream: ClickStream, body: Any, timeout: float = 10) -> Answer:
    """POST one body (a click, or anything) to the click API."""
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    response = requests.post(
        ws.url(stream.clicks_url),
        data=data,
        headers={"Content-Type": "application/json"},
        timeout=timeout,
    )
    try:
        answer: Any = response.json()
    except ValueError:
        answer = response.text
    return Answer(response.status_code, answer, body)


def send_all(
    ws: Workshop, stream: ClickStream, bodies: Iterable[Any], concurrency: int = 8
) -> list[Answer]:
    """POST every body, `concurrency` at a time; the answers in the bodies' order."""
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(lambda body: send(ws, stream, body), bodies))


def _read_all(ws: Workshop, bucket: str, prefix: str) -> list[Delivered]:
    s3 = ws.client("s3")
    objects = list_objects(s3, bucket, prefix)
    return list(fetch_each(s3, bucket, objects, lambda key, data: Delivered(key, _records(data))))


def _records(data: bytes) -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(line) for line in record_lines(data))


def delivered(ws: Workshop, stream: ClickStream) -> list[Delivered]:
    """The enriched clicks Firehose delivered, object by object."""
    return _read_all(ws, stream.bucket, DELIVERED_PREFIX)


def failed(ws: Workshop, stream: ClickStream) -> list[Delivered]:
    """Firehose's error records, object by object (each record's `rawData` is the click sent)."""
    return _read_all(ws, stream.bucket, ERROR_PREFIX)


def raw_click(error_record: dict[str, Any]) -> bytes:
    """The bytes an error record says were sent (its base64 `rawData`)."""
    return raw_bytes(error_record["rawData"])


def wait_for(
    ws: Workshop, stream: ClickStream, click_ids: Iterable[str], timeout: float = 300
) -> dict[str, dict[str, Any]]:
    """Wait until every click id has landed enriched in S3; click id -> its record."""
    wanted = set(click_ids)
    seen: dict[str, dict[str, Any]] = {}

    def arrived() -> dict[str, dict[str, Any]] | None:
        for obj in delivered(ws, stream):
            seen.update({r["clickId"]: r for r in obj.records if r.get("clickId") in wanted})
        return seen if wanted <= seen.keys() else None

    return wait_until(
        arrived,
        what=f"{len(wanted)} clicks to arrive in s3://{stream.bucket}/{DELIVERED_PREFIX}",
        timeout=timeout,
        interval=2,
        progress=lambda: Progress(len(seen), len(wanted), "clicks"),
        hint="Firehose writes once its buffer interval has passed; see its processor's log group "
        f"{stream.log_group}",
    )


def check_click_accepted(ws: Workshop, stream: ClickStream, mysfit_id: str) -> Check:
    """A click on `mysfit_id` is answered 200 with its clickId (the request's id)."""
    answer = send(ws, stream, {"mysfitId": mysfit_id, "userId": "check"})
    ok = answer.status == 200 and bool(answer.click_id)
    return Check("the click API accepts a click", ok, f"{answer.status} {answer.body}")


def check_click_refused(ws: Workshop, stream: ClickStream, body: Any) -> Check:
    """`body`, which is not a click, is refused by the request validator: 400, AWS's words."""
    answer = send(ws, stream, body)
    ok = answer.status == 400 and answer.body == {"message": "Invalid request body"}
    return Check(f"the click API refuses {json.dumps(body)}", ok, f"{answer.status} {answer.body}")


def check_delivered(
    ws: Workshop, stream: ClickStream, click_ids: Iterable[str], timeout: float = 300
) -> Check:
    """Every click id lands in S3 enriched (with the mysfit's name) within `timeout` seconds."""
    wanted = list(click_ids)
    try:
        records = wait_for(ws, stream, wanted, timeout)
    except WaitTimedOut as late:
        return Check(f"{len(wanted)} clicks delivered enriched", False, str(late))
    named = sum(1 for record in records.values() if record.get("name"))
    ok = named == len(wanted)
    evidence = f"{len(records)} of {len(wanted)} delivered, {named} with the mysfit's name"
    return Check(f"{len(wanted)} clicks delivered enriched", ok, evidence)


def _failed_matches(ws: Workshop, stream: ClickStream, sent: list[bytes], ids: set[str]) -> int:
    """How many of `sent` (raw bodies) and `ids` (click ids) are among the error records."""
    raws = [raw_click(r) for obj in failed(ws, stream) for r in obj.records]
    found_ids = set()
    for raw in raws:
        try:
            found_ids.add(json.loads(raw).get("clickId"))
        except (ValueError, AttributeError):
            continue  # not a JSON object: it can only match a raw body
    return sum(body in raws for body in sent) + len(ids & found_ids)


def check_failed(
    ws: Workshop,
    stream: ClickStream,
    sent: Iterable[bytes] = (),
    click_ids: Iterable[str] = (),
    timeout: float = 300,
) -> Check:
    """Each record of `sent` (raw bodies put on the stream) and `click_ids` (clicks sent through
    the API) lands under processing-failed/ as one of Firehose's error records."""
    bodies, ids = list(sent), set(click_ids)
    wanted = len(bodies) + len(ids)
    name = f"{wanted} bad record(s) kept under {ERROR_PREFIX}"
    try:
        wait_until(
            lambda: _failed_matches(ws, stream, bodies, ids) >= wanted,
            what=f"{wanted} error records in s3://{stream.bucket}/{ERROR_PREFIX}",
            timeout=timeout,
            interval=2,
        )
    except WaitTimedOut as late:
        return Check(name, False, str(late))
    return Check(name, True, f"all {wanted} found among the error records")
