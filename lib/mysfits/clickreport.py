"""Module 6's report: one self-contained HTML file (figures inlined as PNG) that opens anywhere.

A report is a title and a list of sections; each section has a heading, a paragraph and its
content: matplotlib figures (inlined as base64 PNG `img` elements, so the file needs no other
file and no network), pandas tables and checks. It is written under the run's directory:
`$MYSFITS_RUN_DIR` (set by `mysfits run` to the directory of the executed notebooks), else
`runs/analysis/` in the checkout.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from . import analysis, clickfigures, paths
from .checks import Check
from .clickloader import ClickLoad

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem;
       color: #1f2328; }
h1 { border-bottom: 2px solid #4c72b0; } h2 { margin-top: 2.5rem; }
img { max-width: 100%; display: block; margin: 1rem 0; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #d0d7de; padding: 0.25rem 0.6rem; text-align: right; }
.meta { color: #59636e; }
"""


@dataclass
class Section:
    heading: str
    text: str = ""
    content: list[Any] = field(default_factory=list)  # Figure, DataFrame, Series, Check


def figure_html(figure: Figure, alt: str) -> str:
    """The figure as an `img` element with the PNG inside (data URL)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">'


def _content_html(item: Any, heading: str) -> str:
    if isinstance(item, Figure):
        title = item.get_suptitle() or next((a.get_title() for a in item.axes if a.get_title()), "")
        return figure_html(item, title or heading)
    if isinstance(item, pd.Series):
        item = item.to_frame()
    if isinstance(item, pd.DataFrame):
        return str(item.to_html(border=0))
    if isinstance(item, Check):
        return item._repr_html_()
    raise TypeError(f"a report section cannot show a {type(item).__name__}")


def render(title: str, sections: list[Section], note: str = "") -> str:
    """The whole report as one HTML document."""
    made = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    body = [f"<h1>{html.escape(title)}</h1>", f'<p class="meta">{html.escape(note)} {made}</p>']
    for section in sections:
        body.append(f"<section><h2>{html.escape(section.heading)}</h2>")
        if section.text:
            body.append(f"<p>{html.escape(section.text)}</p>")
        body += [_content_html(item, section.heading) for item in section.content]
        body.append("</section>")
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>"
    )


def write_report(
    title: str, sections: list[Section], name: str = "click-analysis.html", note: str = ""
) -> Path:
    """Write the report under `paths.run_dir()`; its path."""
    target = paths.run_dir() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(title, sections, note), encoding="utf-8")
    return target


def analysis_sections(
    load: ClickLoad, clicks: pd.DataFrame, joined: pd.DataFrame, checks: list[Check]
) -> list[Section]:
    """The notebook's answers, as report sections: every figure and table, then the checks."""
    per_mysfit = analysis.clicks_per_mysfit(clicks)
    by = {a: analysis.clicks_by(clicks, a) for a in analysis.ATTRIBUTES}
    comparisons = {a: analysis.attribute_comparison(joined, a) for a in ("goodEvil", "lawChaos")}
    per_minute = analysis.clicks_per_minute(clicks)
    return [
        Section(
            "What was loaded", _LOADED, [pd.Series(load.summary(), name="count", dtype=object)]
        ),
        Section("Clicks per mysfit", _PER_MYSFIT, [clickfigures.clicks_per_mysfit(per_mysfit)]),
        Section("Clicks by attribute", "", [clickfigures.clicks_by_attributes(by)]),
        Section("Top mysfits", "", [analysis.top_mysfits(clicks)]),
        Section("Clicks per minute", "", [clickfigures.clicks_per_minute(per_minute)]),
        Section("From click to like to adoption", _FUNNEL, [clickfigures.funnel(joined), joined]),
        Section(
            "Which attributes go with adoption",
            _COMPARISON,
            [clickfigures.attribute_comparison(comparisons), *comparisons.values()],
        ),
        Section("Checked against the ground truth", _CHECKS, list(checks)),
    ]


_LOADED = (
    "Every object the stream delivered, read in parallel; duplicates (Firehose delivers at least "
    "once) and records under processing-failed/ are counted, not dropped."
)
_PER_MYSFIT = "Each click is one profile view sent by the site to the click API."
_FUNNEL = "Clicks come from the stream; likes and adoptions from the DynamoDB table."
_COMPARISON = (
    "Likes per 100 clicks and the share of mysfits adopted, per alignment: a comparison of "
    "groups, not a model; with twelve mysfits, a difference of one adoption moves a share a lot."
)
_CHECKS = "Each figure the traffic generator's ground truth fixes, compared with it."
