"""Small HTML pieces shared by the call tables and `show_document`."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from .documents import as_text
from .record import Document

_PRE_STYLE = "max-height:32em;overflow:auto;font-size:85%;background:#f6f8fa;padding:6px"


def pre(text: str) -> str:
    return f"<pre style='{_PRE_STYLE}'>{html.escape(text)}</pre>"


def details(summary: str, body: str, opened: bool = False, escape_summary: bool = True) -> str:
    """A `<details>` element: collapsed (JupyterLab shows only the summary) unless `opened`."""
    said = html.escape(summary) if escape_summary else summary
    return f"<details{' open' if opened else ''}><summary>{said}</summary>{body}</details>"


def document_html(document: Document, opened: bool = False) -> str:
    summary = f"<code>{html.escape(document.filename)}</code>: {html.escape(document.title)}"
    return details(summary, pre(document.content), opened, escape_summary=False)


class DocumentView:
    """A document shown on its own in a notebook: open HTML, plain text in headless runs."""

    def __init__(self, title: str, document: Any, filename: str = "") -> None:
        if isinstance(document, Path):  # a file of the workshop, e.g. the buildspec
            filename, document = filename or document.name, document.read_text()
        content, language = as_text(document)
        self.document = Document(
            filename or f"document.{'json' if language == 'json' else 'yml'}",
            title,
            content,
            language,
        )

    def __str__(self) -> str:
        return f"{self.document.title} ({self.document.filename}):\n{self.document.content}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return document_html(self.document, opened=True)


def show_document(title: str, document: Any, filename: str = "") -> DocumentView:
    """Show a policy, definition, buildspec or template (dict, list, JSON/YAML text, or a file)."""
    return DocumentView(title, document, filename)
