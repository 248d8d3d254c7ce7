"""Click records as the processor writes them, parsed into typed Arrow tables.

The click processor (module 5) writes one JSON object per line ("newline framing": Firehose
itself concatenates records with no delimiter, so the processor appends "\\n" to each). Arrow's
JSON reader parses a whole object in C++ without holding the GIL, straight into the schema below:
timestamps in UTC, ids as strings. A line that is not JSON does not sink its object: the object
is read again line by line and each bad line is reported (never dropped silently).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

# The processor's record (wave 3 contract); requestTime/processedAt are ISO-8601 UTC strings.
CLICK_SCHEMA = pa.schema(
    [
        ("clickId", pa.string()),
        ("mysfitId", pa.string()),
        ("userId", pa.string()),
        ("requestTime", pa.timestamp("us", tz="UTC")),
        ("processedAt", pa.timestamp("us", tz="UTC")),
        ("name", pa.string()),
        ("species", pa.string()),
        ("goodEvil", pa.string()),
        ("lawChaos", pa.string()),
        ("age", pa.int64()),
    ]
)
OBJECT_COLUMN = "objectKey"  # which delivered object a row came from (duplicates, cache)
# Few distinct values: dictionary-encoded per object, on the loader's threads (pandas categoricals).
CATEGORICAL = ("name", "species", "goodEvil", "lawChaos")
REQUIRED = ("clickId", "mysfitId", "requestTime")
_OPTIONS = pa_json.ParseOptions(explicit_schema=CLICK_SCHEMA, unexpected_field_behavior="ignore")


@dataclass(frozen=True)
class Malformed:
    """A line of a delivered object that is not a click record, and why."""

    object_key: str
    line: int  # 1-based, within the object after framing
    text: str  # the first 200 characters
    reason: str


@dataclass
class ParsedObject:
    """One object's clicks (Arrow table, with its key in `objectKey`) and its bad lines."""

    key: str
    table: pa.Table
    malformed: list[Malformed] = field(default_factory=list)


def frame_lines(data: bytes) -> bytes:
    """The records one per line, whatever the framing: newline-delimited stays as it is.

    Records concatenated without a delimiter (Firehose's default when no processor adds one)
    are split with the JSON decoder itself, so a `}{` inside a string cannot mislead it.
    """
    if b"}{" not in data:
        return data
    text, decoder, at, records = data.decode("utf-8", "replace"), json.JSONDecoder(), 0, []
    while at < len(text):
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            break
        try:
            _, end = decoder.raw_decode(text, at)
        except ValueError:  # not JSON from here on: keep the rest as one line to report
            end = len(text)
        records.append(text[at:end])
        at = end
    return "\n".join(records).encode()


def record_lines(data: bytes) -> list[bytes]:
    """The object's records, one JSON text each, whatever the framing; blank lines skipped."""
    return [line for line in frame_lines(data).splitlines() if line.strip()]


def _read(data: bytes) -> pa.Table:
    options = pa_json.ReadOptions(use_threads=False, block_size=max(len(data) + 1, 1 << 20))
    return pa_json.read_json(io.BytesIO(data), read_options=options, parse_options=_OPTIONS)


def _with_key(table: pa.Table, key: str) -> pa.Table:
    """The attributes dictionary-encoded and the object's key added (as a dictionary column:
    4 bytes a row, where the key as a plain string would cost ~80)."""
    for name in CATEGORICAL:
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, pc.dictionary_encode(table[name]))
    indices = pa.array(np.zeros(table.num_rows, dtype=np.int32))
    return table.append_column(
        OBJECT_COLUMN, pa.DictionaryArray.from_arrays(indices, pa.array([key]))
    )


def _line_by_line(key: str, data: bytes) -> ParsedObject:
    """The slow path for an object with bad lines: keep the good ones, report the rest."""
    good, bad = [], []
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            _read(line)
            good.append(line)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
            text = line[:200].decode("utf-8", "replace")
            bad.append(Malformed(key, number, text, str(error).splitlines()[0]))
    table = _read(b"\n".join(good)) if good else CLICK_SCHEMA.empty_table()
    return ParsedObject(key, _with_key(table, key), bad)


def parse_object(key: str, data: bytes) -> ParsedObject:
    """One delivered object's clicks; bad lines are reported in `malformed`, not dropped."""
    framed = frame_lines(data)
    if not framed.strip():
        return ParsedObject(key, _with_key(CLICK_SCHEMA.empty_table(), key))
    try:
        return ParsedObject(key, _with_key(_read(framed), key))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _line_by_line(key, framed)


def empty_table() -> pa.Table:
    """No clicks, with the columns a parsed object has."""
    return _with_key(CLICK_SCHEMA.empty_table(), "")


def incomplete(table: pa.Table) -> pa.Array:
    """A boolean mask of rows that lack a field every click has (they cannot be deduplicated)."""
    mask = pc.is_null(table["clickId"])
    for name in REQUIRED[1:]:
        mask = pc.or_(mask, pc.is_null(table[name]))
    return mask
