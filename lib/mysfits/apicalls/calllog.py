"""The calls of one notebook step: a compact table (collapsed in JupyterLab), plain text, JSON."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import Any

from .documents import WHOLE
from .record import ApiCall, Document
from .render import details, document_html, pre

API_CALLS_MIME_TYPE = "application/vnd.mysfits.api-calls+json"
_SHORT = 60  # characters of a parameter value shown in the table


@dataclass(frozen=True)
class Row:
    """Consecutive identical calls (a polling loop) shown once, with how many there were."""

    call: ApiCall
    count: int
    milliseconds: float


def merge_repeats(calls: list[ApiCall]) -> list[Row]:
    """Fold runs of the same call with the same outcome into one row."""
    rows: list[Row] = []
    for call in calls:
        last = rows[-1].call if rows else None
        if last is not None and (last.name, last.params, last.outcome) == (
            call.name,
            call.params,
            call.outcome,
        ):
            rows[-1] = Row(last, rows[-1].count + 1, rows[-1].milliseconds + call.milliseconds)
        else:
            rows.append(Row(call, 1, call.milliseconds))
    return rows


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def key_parameters(call: ApiCall) -> str:
    """`Bucket=site, Policy=file://bucket-policy.json`: one line, documents by file name.

    Where the whole request is a document, its plain values and the file name say enough.
    """
    whole = call.files.get(WHOLE)
    shown = [
        f"{name}={f'file://{call.files[name]}' if name in call.files else _short(value)}"
        for name, value in call.params.items()
        if not whole or isinstance(value, (str, int, float, bool))
    ]
    return ", ".join(shown + ([f"… all in file://{whole}"] if whole else []))


def operation_label(call: ApiCall) -> str:
    """The operation, marked when the request went unsigned (as an anonymous visitor's)."""
    return call.operation if call.signed else f"{call.operation} (anonymous)"


class CallLog:
    """What a step asked AWS, in order: renders as a table, as text, and as JSON for the runner."""

    def __init__(
        self, title: str, calls: list[ApiCall], endpoint_url: str | None = None, dropped: int = 0
    ) -> None:
        self.title = title
        self.calls = calls  # a step's log keeps filling while its `with` block runs
        self.endpoint_url = endpoint_url
        self.dropped = dropped

    @property
    def operations(self) -> list[str]:
        """Distinct `service:Operation` names, in the order first called."""
        return list(dict.fromkeys(c.name for c in self.calls))

    @property
    def errors(self) -> list[ApiCall]:
        return [c for c in self.calls if not c.ok]

    @property
    def documents(self) -> list[Document]:
        """Every document sent, once (the same file with the same content is shown once)."""
        seen: dict[tuple[str, str], Document] = {}
        for call in self.calls:
            for document in call.documents:
                seen.setdefault((document.filename, document.content), document)
        return list(seen.values())

    def cli_commands(self) -> list[str]:
        """The equivalent `aws` commands, once each in call order, repeats and errors noted."""
        counts: dict[str, list[ApiCall]] = {}
        for call in self.calls:
            counts.setdefault(call.cli, []).append(call)
        lines = []
        for command, calls in counts.items():
            notes = [f"{len(calls)} times" if len(calls) > 1 else ""]
            notes += [f"answered {c.outcome}" for c in calls[:1] if not c.ok]
            note = "; ".join(n for n in notes if n)
            lines.append(f"{command}  # {note}" if note else command)
        return lines

    def summary(self) -> str:
        seconds = sum(c.milliseconds for c in self.calls) / 1000
        errors = len(self.errors)
        said = f"{len(self.calls)} calls of {len(self.operations)} operations, {seconds:.2f} s"
        said += f", {errors} answered with an error" if errors else ""
        return said + (f" ({self.dropped} earlier calls not kept)" if self.dropped else "")

    def _endpoint_note(self) -> str:
        if not self.endpoint_url:
            return ""
        return (
            f"# These calls went to the local cloud: to repeat them there, first run\n"
            f"#   export AWS_ENDPOINT_URL={self.endpoint_url}\n"
        )

    def __str__(self) -> str:
        lines = [f"AWS API calls: {self.title} ({self.summary()})"]
        for row in merge_repeats(self.calls):
            times = f" ×{row.count}" if row.count > 1 else ""
            name = f"{row.call.service}:{operation_label(row.call)}"
            lines.append(
                f"  {row.call.started[11:23]}  {name:40} {row.call.outcome:28} "
                f"{row.milliseconds:8.1f} ms{times}  {key_parameters(row.call)}"
            )
        lines += (
            ["  documents sent: " + ", ".join(d.filename for d in self.documents)]
            if self.documents
            else []
        )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _rows_html(self) -> str:
        rows = []
        for row in merge_repeats(self.calls):
            call = row.call
            colour = "" if call.ok else ' style="color:#cf222e"'
            times = f" ×{row.count}" if row.count > 1 else ""
            cells = [
                call.started[11:23],
                call.service,
                f"<b>{html.escape(operation_label(call))}</b>{times}",
                f"<code style='white-space:normal'>{html.escape(key_parameters(call))}</code>",
                html.escape(call.outcome),
                f"{row.milliseconds:.0f}",
            ]
            rows.append(
                f"<tr{colour}>"
                + "".join(f"<td style='text-align:left'>{c}</td>" for c in cells)
                + "</tr>"
            )
        head = "".join(
            f"<th style='text-align:left'>{h}</th>"
            for h in ("time (UTC)", "service", "operation", "key parameters", "status", "ms")
        )
        body = "".join(rows)
        table = f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
        return f"<table style='font-size:85%'>{table}</table>"

    def _repr_html_(self) -> str:
        script = self._endpoint_note() + "\n".join(self.cli_commands())
        parts = [self._rows_html(), details("The same calls with the AWS CLI", pre(script))]
        parts += [document_html(d) for d in self.documents]
        said = f"{html.escape(self.title)} <small>({html.escape(self.summary())})</small>"
        summary = f"<b>AWS API calls</b>: {said}"
        return details(summary, "".join(parts), escape_summary=False)

    def as_json(self) -> dict[str, Any]:
        """The calls for tools; documents by name only (their text is in the HTML already)."""
        calls = [c.as_json() for c in self.calls]
        for call in calls:
            call["documents"] = [{**d, "content": ""} for d in call["documents"]]
        return {"title": self.title, "calls": calls, "dropped": self.dropped}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/plain": str(self),
            "text/html": self._repr_html_(),
            API_CALLS_MIME_TYPE: self.as_json(),
        }


def calls_in_outputs(outputs: list[dict[str, Any]]) -> list[ApiCall]:
    """Every call shown in a notebook's output bundles (how a run's tables are read back)."""
    found = []
    for output in outputs:
        data = output.get("data", {}).get(API_CALLS_MIME_TYPE)
        if data is not None:
            record = data if isinstance(data, dict) else json.loads(data)
            found += [ApiCall.from_json(c) for c in record.get("calls", [])]
    return found
