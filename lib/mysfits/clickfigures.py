"""Module 6's plots, drawn with matplotlib's object API (no pyplot state, any backend).

Each function takes an answer from `analysis` and returns a labelled `Figure` sized for a
notebook; Jupyter shows a returned figure, and `clickreport` inlines it in the HTML report.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

WIDTH = 8.0  # inches: readable in a notebook column and in the report
ATTRIBUTE_TITLES = {"species": "Species", "goodEvil": "Good or evil", "lawChaos": "Law or chaos"}
COLOURS = {"clicks": "#4c72b0", "likes": "#dd8452", "adopted": "#55a868"}


def clicks_per_mysfit(per_mysfit: pd.DataFrame, top: int = 5) -> Figure:
    """Horizontal bars, one per mysfit, most clicked on top; the top `top` in a darker shade."""
    figure = Figure(figsize=(WIDTH, 0.35 * len(per_mysfit) + 1.2), layout="constrained")
    axes = figure.add_subplot()
    ordered = per_mysfit.iloc[::-1]  # barh draws the first row at the bottom
    shades = [COLOURS["clicks"] if i < top else "#a1b4d6" for i in range(len(per_mysfit))][::-1]
    bars = axes.barh(ordered["name"].astype(str), ordered["clicks"], color=shades)
    axes.bar_label(bars, padding=3)
    axes.set(xlabel="clicks (profile views)", title=f"Clicks per mysfit (top {top} dark)")
    return figure


def clicks_by_attributes(counts: dict[str, pd.Series]) -> Figure:
    """One bar chart per attribute (species, good/evil, law/chaos), side by side."""
    figure = Figure(figsize=(WIDTH * 1.4, 3.6), layout="constrained")
    for axes, (attribute, series) in zip(
        figure.subplots(1, len(counts)), counts.items(), strict=True
    ):
        axes.bar(series.index.astype(str), series.to_numpy(), color=COLOURS["clicks"])
        axes.set(title=ATTRIBUTE_TITLES.get(attribute, attribute), ylabel="clicks")
        axes.tick_params(axis="x", labelrotation=60)
    figure.suptitle("Clicks by attribute")
    return figure


def clicks_per_minute(per_minute: pd.Series) -> Figure:
    """Clicks in each minute of the run (UTC)."""
    figure = Figure(figsize=(WIDTH, 3.2), layout="constrained")
    axes = figure.add_subplot()
    labels = [f"{t:%H:%M}" for t in per_minute.index]
    axes.bar(labels, per_minute.to_numpy(), color=COLOURS["clicks"])
    axes.set(xlabel="minute (UTC)", ylabel="clicks", title="Clicks per minute")
    axes.tick_params(axis="x", labelrotation=45)
    return figure


def funnel(joined: pd.DataFrame) -> Figure:
    """Per mysfit: clicks, new likes and whether it was adopted (from the table)."""
    figure = Figure(figsize=(WIDTH * 1.2, 4.2), layout="constrained")
    axes = figure.add_subplot()
    names = joined["name"].astype(str).tolist()
    positions = range(len(names))
    axes.bar(
        [p - 0.2 for p in positions], joined["clicks"], 0.4, label="clicks", color=COLOURS["clicks"]
    )
    likes = joined["new likes"] if "new likes" in joined else joined["likes"]
    axes.bar([p + 0.2 for p in positions], likes, 0.4, label=likes.name, color=COLOURS["likes"])
    for p, clicks, adopted in zip(positions, joined["clicks"], joined["adopted"], strict=True):
        if adopted:  # marked above the clicks bar
            axes.annotate(
                "adopted",
                (p - 0.2, clicks),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                color=COLOURS["adopted"],
                fontsize=8,
                fontweight="bold",
            )
    axes.set_xticks(list(positions), names, rotation=45, ha="right")
    axes.set(ylabel="count", title="From click to like to adoption, per mysfit")
    axes.margins(y=0.12)  # room for the "adopted" marks
    axes.legend()
    return figure


def attribute_comparison(tables: dict[str, pd.DataFrame]) -> Figure:
    """For each alignment attribute: likes per 100 clicks and the share of mysfits adopted."""
    figure = Figure(figsize=(WIDTH * 1.2, 3.6), layout="constrained")
    for axes, (attribute, table) in zip(
        figure.subplots(1, len(tables)), tables.items(), strict=True
    ):
        values = table.index.astype(str)
        axes.bar(
            values,
            table["likes per 100 clicks"],
            color=COLOURS["likes"],
            label="likes per 100 clicks",
        )
        twin = axes.twinx()
        twin.plot(
            values, table["share adopted"], "o-", color=COLOURS["adopted"], label="share adopted"
        )
        twin.set_ylim(0, 1.05)
        axes.set(title=ATTRIBUTE_TITLES.get(attribute, attribute), ylabel="likes per 100 clicks")
        twin.set_ylabel("share adopted")
    figure.suptitle("Which attributes go with likes and adoption")
    return figure
