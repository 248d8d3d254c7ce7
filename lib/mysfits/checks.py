"""Verifications with evidence: `Check` renders green or red, `require` fails loudly."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from .errors import VerificationFailed

CHECK_MIME_TYPE = "application/vnd.mysfits.check+json"


@dataclass(frozen=True)
class Check:
    """The outcome of one verification and the evidence behind it."""

    name: str
    ok: bool
    evidence: str
    details: dict[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        mark = "PASS" if self.ok else "FAIL"
        return f"[{mark}] {self.name}: {self.evidence}"

    def as_json(self) -> dict[str, Any]:
        """A JSON-safe summary, read back by the headless runner."""
        return {"name": self.name, "ok": self.ok, "evidence": self.evidence}

    def _repr_html_(self) -> str:
        colour, mark = ("#1a7f37", "&#10004;") if self.ok else ("#cf222e", "&#10008;")
        return (
            f'<div style="border-left:4px solid {colour};padding:4px 8px;margin:2px 0">'
            f'<b style="color:{colour}">{mark} {html.escape(self.name)}</b><br>'
            f"<code>{html.escape(self.evidence)}</code></div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            "text/plain": str(self),
            "text/html": self._repr_html_(),
            CHECK_MIME_TYPE: self.as_json(),
        }


def expect_equal(
    name: str, actual: Any, expected: Any, evidence: str = "", **details: Any
) -> Check:
    """A check that passes when `actual == expected`."""
    said = evidence or f"got {actual!r}, expected {expected!r}"
    return Check(
        name, actual == expected, said, {"actual": actual, "expected": expected, **details}
    )


def require(*checks: Check) -> None:
    """Show every check (in a notebook) and raise `VerificationFailed` if any failed."""
    _display(checks)
    failed = [c for c in checks if not c.ok]
    if failed:
        raise VerificationFailed("; ".join(str(c) for c in failed))


def _display(checks: tuple[Check, ...]) -> None:
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: nothing to render into
        return
    if get_ipython() is not None:
        for check in checks:
            display(check)


def summarise(outputs: list[dict[str, Any]]) -> tuple[int, int]:
    """Count passed and failed checks among notebook output bundles."""
    passed = failed = 0
    for output in outputs:
        data = output.get("data", {}).get(CHECK_MIME_TYPE)
        if data is None:
            continue
        record = data if isinstance(data, dict) else json.loads(data)
        if record.get("ok"):
            passed += 1
        else:
            failed += 1
    return passed, failed
