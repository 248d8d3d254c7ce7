"""The click loader: listing, framing, GZIP, types, duplicates, failures, the cache (S3 in moto)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from mysfits import clickcache, clickloader, clicksynth
from mysfits.clickfailures import output_type
from mysfits.clickobjects import list_objects, unzip
from mysfits.clickrecords import frame_lines, parse_object
from mysfits.workshop import Workshop

BUCKET, PREFIX, ERRORS = "clicks-bucket", "clicks/", "processing-failed/"
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
MYSFITS = clicksynth.catalogue()


def click(n: int, mysfit: int = 0, user: str | None = "u-1") -> bytes:
    return clicksynth.click_record(MYSFITS[mysfit], f"click-{n:04d}", user, AT)


@pytest.fixture
def s3(ws: Workshop):
    client = ws.client("s3")
    client.create_bucket(Bucket=BUCKET)
    return client


def put(s3, body: bytes, prefix: str = PREFIX, suffix: str = "", minute: int = 0) -> str:
    key = clicksynth.firehose_key(prefix, AT + timedelta(minutes=minute)) + suffix
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return key


def load(s3, cache_dir: Path | None = None) -> clickloader.ClickLoad:
    return clickloader.load(s3, BUCKET, PREFIX, ERRORS, workers=4, cache_dir=cache_dir)


def test_listing_follows_every_page(s3) -> None:
    keys = sorted(put(s3, click(n), minute=n) for n in range(5))
    listed = list_objects(s3, BUCKET, PREFIX, page_size=2)
    assert [o.key for o in listed] == keys
    assert all(o.etag and o.size > 0 for o in listed)


def test_clicks_come_back_typed_from_plain_and_gzip_objects(s3) -> None:
    put(s3, click(1, mysfit=0) + click(2, mysfit=1, user=None))
    put(s3, gzip.compress(click(3, mysfit=2)), suffix=".gz")
    loaded = load(s3)
    clicks = loaded.clicks.set_index("clickId")
    assert sorted(clicks.index) == ["click-0001", "click-0002", "click-0003"]
    assert str(clicks["requestTime"].dtype) == "datetime64[us, UTC]"
    assert clicks.loc["click-0001", "requestTime"] == pd.Timestamp(AT)
    for column in ("species", "goodEvil", "lawChaos", "name"):
        assert isinstance(clicks[column].dtype, pd.CategoricalDtype), column
    assert pd.api.types.is_string_dtype(clicks["mysfitId"])
    assert pd.isna(clicks.loc["click-0002", "userId"])
    assert clicks.loc["click-0003", "species"] == MYSFITS[2]["species"]
    assert loaded.objects == loaded.fetched == 2


def test_a_second_delivery_of_a_click_is_counted_as_a_duplicate_not_dropped(s3) -> None:
    first = put(s3, click(1) + click(2))
    put(s3, click(2) + click(3), minute=1)  # a retried batch: click 2 again, in a later object
    loaded = load(s3)
    assert sorted(loaded.clicks["clickId"]) == ["click-0001", "click-0002", "click-0003"]
    assert list(loaded.duplicates["clickId"]) == ["click-0002"]
    assert loaded.clicks.set_index("clickId").loc["click-0002", "objectKey"] == first
    assert loaded.delivered == 4


def test_error_records_are_decoded_and_reported(s3) -> None:
    raws = [b'{"mysfitId": "nope"}', b"not json at all"]
    put(s3, clicksynth.error_object(raws), prefix=ERRORS)  # module 5: the type, then the hour
    put(s3, click(1))
    loaded = load(s3)
    failed = loaded.failed
    assert list(failed["rawData"]) == [raw.decode() for raw in raws]
    assert list(failed["mysfitId"].fillna("-")) == ["nope", "-"]
    assert set(failed["errorOutputType"]) == {"processing-failed"}
    assert set(failed["errorCode"]) == {"Lambda.ProcessingFailed"}
    assert str(failed["arrivalTimestamp"].dtype).endswith("UTC]")
    assert len(loaded.clicks) == 1


def test_bad_lines_and_incomplete_records_are_reported_and_the_rest_kept(s3) -> None:
    incomplete = json.dumps({"mysfitId": MYSFITS[0]["mysfitId"]}).encode() + b"\n"
    key = put(s3, click(1) + b"{broken\n" + incomplete + click(2))
    loaded = load(s3)
    assert sorted(loaded.clicks["clickId"]) == ["click-0001", "click-0002"]
    assert [(m.object_key, m.line, m.text) for m in loaded.malformed] == [(key, 2, "{broken")]
    assert list(loaded.incomplete["mysfitId"]) == [MYSFITS[0]["mysfitId"]]


def test_records_concatenated_without_newlines_are_split_by_the_json_decoder() -> None:
    tricky = json.loads(click(2))
    tricky["userId"] = "}{"  # the delimiter-looking text inside a string must not split it
    data = click(1).strip() + json.dumps(tricky).encode() + click(3).strip()
    assert len(frame_lines(data).splitlines()) == 3
    parsed = parse_object("k", data)
    assert parsed.table.num_rows == 3 and not parsed.malformed
    assert parsed.table["userId"][1].as_py() == "}{"


def test_unzip_goes_by_the_magic_number_not_the_name() -> None:
    assert unzip(gzip.compress(b"abc")) == b"abc"
    assert unzip(b"abc") == b"abc"


def test_first_deliveries_marks_only_later_repeats() -> None:
    ids = pa.chunked_array(
        [pa.array(["a", "b", "a"]), pa.array(["c", "b", "d"]), pa.array([], pa.string())]
    )
    assert list(clickloader.first_deliveries(ids)) == [True, True, False, True, False, True]
    assert list(clickloader.first_deliveries(pa.chunked_array([], pa.string()))) == []


def test_the_cache_fetches_only_new_objects_and_forgets_deleted_ones(s3, tmp_path: Path) -> None:
    first = put(s3, click(1) + click(2))
    assert load(s3, tmp_path).fetched == 1
    again = load(s3, tmp_path)
    assert (again.fetched, again.objects, len(again.clicks)) == (0, 1, 2)
    put(s3, click(3))
    added = load(s3, tmp_path)
    assert (added.fetched, added.objects, len(added.clicks)) == (1, 2, 3)
    s3.delete_object(Bucket=BUCKET, Key=first)
    pruned = load(s3, tmp_path)
    assert (pruned.fetched, list(pruned.clicks["clickId"])) == (0, ["click-0003"])


def test_an_object_rewritten_under_the_same_key_is_read_again(s3, tmp_path: Path) -> None:
    key = put(s3, click(1))
    load(s3, tmp_path)
    s3.put_object(Bucket=BUCKET, Key=key, Body=click(7))  # new content: a new ETag
    reread = load(s3, tmp_path)
    assert (reread.fetched, list(reread.clicks["clickId"])) == (1, ["click-0007"])


def test_a_cache_of_another_format_or_unreadable_is_ignored(tmp_path: Path) -> None:
    (tmp_path / clickcache.CACHE_FILE).write_bytes(b"not parquet")
    assert clickcache.load(tmp_path).identities == set()


def test_an_empty_prefix_loads_as_empty_typed_frames(s3) -> None:
    loaded = load(s3)
    assert loaded.delivered == 0 and loaded.failed.empty
    assert str(loaded.clicks["requestTime"].dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        (
            "processing-failed/2026/11/30/09/mysfits-clicks-1-2026-11-30-09-00-00-x",
            "processing-failed",
        ),
        ("errors/processing-failed/2026/11/30/09/x", "processing-failed"),
        ("errors/2026/format-conversion-failed/x", "format-conversion-failed"),
        ("errors/2026/11/x", ""),
    ],
)
def test_the_error_output_type_is_read_from_the_key_wherever_the_prefix_put_it(key, kind) -> None:
    assert output_type(key) == kind
