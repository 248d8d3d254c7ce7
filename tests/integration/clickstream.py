"""Module 5's click stream deployed as notebook 05 deploys it, for tests that send it clicks.

Both buffers are short so deliveries come quickly; tests wait for them with `wait_for_records`,
whose deadline follows from those buffers (deadlines.click_stream_delivered).
"""

from __future__ import annotations

from pathlib import Path

from mysfits import analysis, database, streaming
from mysfits.analysis import ClickLoad
from mysfits.streaming import ClickStream
from mysfits.waiting import Progress, wait_until
from mysfits.workshop import Workshop

from .deadlines import click_stream_delivered

BUFFER_SECONDS = 1  # both Firehose buffers: the destination's and the processor's


def deploy_click_stream(ws: Workshop) -> ClickStream:
    """The table the processor enriches from, seeded, and the stream deployed (module 5)."""
    database.seed_table(ws, database.ensure_table(ws))
    deployed = streaming.ensure_click_stream(
        ws, buffer_interval=BUFFER_SECONDS, processor_buffer_interval=BUFFER_SECONDS
    )
    return deployed.stream


def records_in(loaded: ClickLoad) -> int:
    """Every record the loader found: clicks, duplicates, incomplete ones and error records."""
    return loaded.delivered + len(loaded.failed)


def wait_for_records(ws: Workshop, stream: ClickStream, count: int, cache: Path) -> ClickLoad:
    """Load the stream's bucket with module 6's loader until it holds `count` records."""
    latest: dict[str, ClickLoad] = {}

    def arrived() -> ClickLoad | None:
        loaded = latest["load"] = analysis.load_clicks(ws, stream.bucket, cache=cache)
        return loaded if records_in(loaded) >= count else None

    return wait_until(
        arrived,
        what=f"{count} records in s3://{stream.bucket}",
        timeout=click_stream_delivered(BUFFER_SECONDS),
        interval=0.5,
        progress=lambda: Progress(records_in(latest["load"]) if latest else 0, count, "records"),
    )
