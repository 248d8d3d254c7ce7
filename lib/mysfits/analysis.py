"""Module 6: the click stream in pandas: load what Firehose delivered, count, check with the truth.

`load_clicks` reads every delivered object (in parallel, cached on disk), and the functions
below answer the notebook's questions with plain pandas: clicks per mysfit and attribute, the
top mysfits, clicks per minute, the funnel from click to like to adoption joined with the
DynamoDB table. Each `check_...` compares one answer with what the traffic generator recorded
it did (`traffic.GroundTruth`), so a figure that disagrees with the truth shows red.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from . import clickcache, clickloader
from .checks import Check, expect_equal
from .clickloader import ClickLoad
from .clickobjects import DEFAULT_WORKERS, DELIVERED_PREFIX, ERROR_PREFIX
from .traffic import GroundTruth
from .waiting import Progress, wait_until
from .workshop import Workshop

__all__ = [
    "ClickLoad",
    "load_clicks",
    "of_run",
    "wait_for_clicks",
    "delete_cache",
    "clicks_per_mysfit",
    "clicks_by",
    "top_mysfits",
    "clicks_per_minute",
    "funnel",
    "attribute_comparison",
    "check_total_clicks",
    "check_clicks_per_mysfit",
    "check_clicks_by",
    "check_top_mysfits",
    "check_clicks_per_minute",
    "check_likes",
    "check_adoptions",
]
ATTRIBUTES = ("species", "goodEvil", "lawChaos")


def load_clicks(
    ws: Workshop,
    bucket: str,
    prefix: str = DELIVERED_PREFIX,
    error_prefix: str = ERROR_PREFIX,
    workers: int = DEFAULT_WORKERS,
    cache: bool | Path = True,
) -> ClickLoad:
    """Every click delivered under `prefix`, deduplicated, with what was set aside.

    `cache=True` keeps what was read in `$MYSFITS_HOME/cache/clicks/`, so a second call only
    fetches objects delivered since; a path puts the cache there; False reads everything.
    """
    directory = None
    if cache:
        root = cache if isinstance(cache, Path) else None
        directory = clickcache.cache_dir(f"{ws.account_id}-{bucket}", prefix, root)
    return clickloader.load(ws.client("s3"), bucket, prefix, error_prefix, workers, directory)


def of_run(clicks: pd.DataFrame, run_id: str) -> pd.DataFrame:
    """The clicks (or error records) one traffic run sent: its visitors' ids start with its id."""
    return clicks[clicks["userId"].str.startswith(f"{run_id}-", na=False)]


def wait_for_clicks(
    ws: Workshop, bucket: str, truth: GroundTruth, timeout: float = 300.0, interval: float = 2.0
) -> ClickLoad:
    """Load until every click the run sent is delivered (or under the error prefix).

    Firehose holds records until its buffer fills or its interval passes, so the last clicks
    arrive up to one interval after they were sent. Each poll reads only new objects (cache).
    """
    latest: dict[str, Any] = {"found": 0}

    def arrived() -> bool:
        loaded = latest["load"] = load_clicks(ws, bucket)
        runs = of_run(loaded.clicks, truth.run_id), of_run(loaded.failed, truth.run_id)
        latest["found"] = sum(len(part) for part in runs)
        return bool(latest["found"] >= truth.total_clicks)

    wait_until(
        arrived,
        what=f"the {truth.total_clicks} clicks of run {truth.run_id} in s3://{bucket}",
        timeout=timeout,
        interval=interval,
        hint="Firehose delivers when its buffer interval passes: is the stream active (05)?",
        progress=lambda: Progress(latest["found"], truth.total_clicks, "clicks"),
    )
    loaded: ClickLoad = latest["load"]
    return loaded


def delete_cache(ws: Workshop, bucket: str, prefix: str = DELIVERED_PREFIX) -> bool:
    """Remove the local cache of `bucket`'s clicks; False if there was none."""
    return clickcache.delete(clickcache.cache_dir(f"{ws.account_id}-{bucket}", prefix))


def clicks_per_mysfit(clicks: pd.DataFrame) -> pd.DataFrame:
    """One row per mysfit that was clicked: id, name, species, and its clicks, most first."""
    per = clicks.groupby("mysfitId", observed=True).agg(
        name=("name", "first"), species=("species", "first"), clicks=("clickId", "size")
    )
    return per.sort_values(["clicks", "name"], ascending=[False, True])


def clicks_by(clicks: pd.DataFrame, attribute: str) -> pd.Series:
    """Clicks per value of `attribute` (species, goodEvil or lawChaos), most first."""
    if attribute not in ATTRIBUTES:
        raise ValueError(f"attribute {attribute!r} is not one of {', '.join(ATTRIBUTES)}")
    counts = clicks[attribute].value_counts()
    return counts[counts > 0].rename("clicks")


def top_mysfits(clicks: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The `n` most clicked mysfits."""
    return clicks_per_mysfit(clicks).head(n)


def clicks_per_minute(clicks: pd.DataFrame) -> pd.Series:
    """Clicks per minute of request time (UTC), empty minutes included as 0."""
    return clicks.set_index("requestTime").resample("1min")["clickId"].count().rename("clicks")


def funnel(
    clicks: pd.DataFrame, items: list[dict[str, Any]], likes_before: dict[str, int] | None = None
) -> pd.DataFrame:
    """Per mysfit: clicks and distinct visitors (stream), likes and adoption (DynamoDB table).

    With `likes_before` (the counts when the run began), `new likes` is this run's share.
    """
    stream = clicks.groupby("mysfitId", observed=True).agg(
        clicks=("clickId", "size"), visitors=("userId", "nunique")
    )
    table = pd.DataFrame([_table_row(item) for item in items]).set_index("mysfitId")
    joined = table.join(stream, how="left").fillna({"clicks": 0, "visitors": 0})
    joined[["clicks", "visitors"]] = joined[["clicks", "visitors"]].astype("int64")
    if likes_before is not None:
        before = joined.index.map(lambda m: likes_before.get(m, 0))
        joined["new likes"] = joined["likes"] - before.to_numpy()
    return joined.sort_values(["clicks", "name"], ascending=[False, True])


def _table_row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "mysfitId": item["MysfitId"],
        "name": item.get("Name"),
        "species": item.get("Species"),
        "goodEvil": item.get("GoodEvil"),
        "lawChaos": item.get("LawChaos"),
        "likes": int(item.get("Likes", 0)),
        "adopted": bool(item.get("Adopted", False)),
    }


def attribute_comparison(joined: pd.DataFrame, attribute: str) -> pd.DataFrame:
    """For each value of `attribute`: mysfits, clicks, likes per 100 clicks, share adopted.

    Likes are this run's (`new likes`) when the funnel has them, else the table's totals.
    """
    likes = "new likes" if "new likes" in joined else "likes"
    grouped = joined.groupby(attribute).agg(
        mysfits=("name", "size"),
        clicks=("clicks", "sum"),
        likes=(likes, "sum"),
        adopted=("adopted", "sum"),
    )
    grouped["likes per 100 clicks"] = (100 * grouped["likes"] / grouped["clicks"]).round(1)
    grouped["share adopted"] = (grouped["adopted"] / grouped["mysfits"]).round(2)
    return grouped.sort_values("share adopted", ascending=False)


# -- the figures against the truth ----------------------------------------------------------


def _differences(actual: dict[str, int], expected: dict[str, int]) -> dict[str, tuple[int, int]]:
    keys = set(actual) | set(expected)
    return {
        k: (actual.get(k, 0), expected.get(k, 0))
        for k in keys
        if actual.get(k, 0) != expected.get(k, 0)
    }


def _compare(name: str, actual: dict[str, int], expected: dict[str, int], what: str) -> Check:
    wrong = _differences(actual, expected)
    if not wrong:
        return Check(
            name,
            True,
            f"all {len(expected)} {what} equal the truth ({sum(expected.values())} in all)",
        )
    shown = ", ".join(f"{k}: found {a}, sent {e}" for k, (a, e) in sorted(wrong.items())[:5])
    return Check(name, False, f"{len(wrong)} {what} differ: {shown}", {"differences": wrong})


def check_total_clicks(clicks: pd.DataFrame, truth: GroundTruth) -> Check:
    """The run's clicks, after deduplication, are exactly those the click API accepted."""
    return expect_equal("clicks of the run (deduplicated)", len(clicks), truth.total_clicks)


def check_clicks_per_mysfit(per_mysfit: pd.DataFrame, truth: GroundTruth) -> Check:
    """Each mysfit's click count equals the clicks the click API accepted for it."""
    found = {str(k): int(v) for k, v in per_mysfit["clicks"].items()}
    return _compare("clicks per mysfit", found, truth.clicks, "mysfits' click counts")


def check_clicks_by(counts: pd.Series, truth: GroundTruth, attribute: str) -> Check:
    """Clicks per species or alignment equal the truth's, summed over the catalogue."""
    found = {str(k): int(v) for k, v in counts.items()}
    return _compare(
        f"clicks per {attribute}", found, truth.clicks_by(attribute), f"{attribute} counts"
    )


def check_top_mysfits(top: pd.DataFrame, truth: GroundTruth) -> Check:
    """The top list's counts are the truth's highest counts (ties may order names either way)."""
    expected = sorted(truth.clicks.values(), reverse=True)[: len(top)]
    found = [int(v) for v in top["clicks"]]
    wrong = {str(k): int(v) for k, v in top["clicks"].items() if truth.clicks.get(str(k)) != int(v)}
    ok = found == expected and not wrong
    said = f"top {len(top)} counts {found}, truth's highest {expected}" + (
        f"; wrong: {wrong}" if wrong else ""
    )
    return Check("top mysfits", ok, said)


def check_clicks_per_minute(per_minute: pd.Series, truth: GroundTruth) -> Check:
    """Minutes add up to every click, and none lies outside the run's time."""
    start = pd.Timestamp(truth.started).floor("1min")
    end = pd.Timestamp(truth.finished).ceil("1min")
    busy = per_minute[per_minute > 0]
    inside = busy.empty or (busy.index.min() >= start and busy.index.max() <= end)
    total = int(per_minute.sum())
    ok = total == truth.total_clicks and bool(inside)
    said = f"{total} clicks in {len(busy)} busy minutes between {start:%H:%M} and {end:%H:%M} UTC"
    return Check("clicks per minute", ok, f"{said}; the truth sent {truth.total_clicks}")


def check_likes(joined: pd.DataFrame, truth: GroundTruth) -> Check:
    """The table's like counts are what they were plus this run's new likes."""
    found = {str(k): int(v) for k, v in joined["likes"].items()}
    return _compare("likes in the table", found, truth.likes_after(), "like counts")


def check_adoptions(joined: pd.DataFrame, truth: GroundTruth) -> Check:
    """The table's adopted mysfits are those adopted before plus this run's adoptions."""
    found = {str(k) for k, v in joined["adopted"].items() if v}
    expected = truth.adopted_after()
    said = (
        f"{len(found)} adopted in the table; the truth: {len(expected)} "
        f"({len(truth.adoptions)} by this run)"
    )
    return Check("adoptions in the table", found == expected, said)
