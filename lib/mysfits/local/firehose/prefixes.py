"""S3 prefix expressions as Firehose evaluates them: `!{timestamp:...}` and `!{firehose:...}`.

AWS rules reproduced (Firehose developer guide, "Custom Prefixes for Amazon S3 Objects"):
- `!{timestamp:<Java DateTimeFormatter pattern>}` evaluates in UTC at the approximate arrival time
  of the oldest record in the object; text in single quotes is literal (`''` is one quote);
- `!{firehose:random-string}` is 11 random characters, new at each use;
- `!{firehose:error-output-type}` (only in ErrorOutputPrefix) is `processing-failed` here;
- a Prefix without a timestamp expression gets `!{timestamp:yyyy/MM/dd/HH/}` appended, with no
  slash added in between (a Prefix meant as a folder ends with `/` itself);
- ErrorOutputPrefix may be empty only if Prefix has no expression; it then becomes
  `<Prefix>processing-failed/yyyy/MM/dd/HH/`. An ErrorOutputPrefix with an expression must use
  `!{firehose:error-output-type}`; Prefix must not; `!{` appears only as an expression.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

DEFAULT_TIME = "!{timestamp:yyyy/MM/dd/HH/}"
ERROR_TYPE = "!{firehose:error-output-type}"
_EXPRESSION = re.compile(r"!\{([A-Za-z]+):([^}]*)\}")
# Java DateTimeFormatter letters the local cloud evaluates: letter -> (field, 2-digit width).
_FIELDS = {"y": "year", "M": "month", "d": "day", "H": "hour", "m": "minute", "s": "second"}


class InvalidPrefix(ValueError):
    """A Prefix or ErrorOutputPrefix that Firehose refuses (InvalidArgumentException)."""


@dataclass(frozen=True)
class Part:
    """One piece of a prefix: literal text or an expression (namespace, value)."""

    text: str
    namespace: str = ""


def parse(template: str) -> list[Part]:
    """Split `template` into literals and expressions; refuse what Firehose refuses."""
    parts: list[Part] = []
    at = 0
    for match in _EXPRESSION.finditer(template):
        parts.append(Part(template[at : match.start()]))
        namespace, value = match.groups()
        _check_expression(namespace, value)
        parts.append(Part(value, namespace))
        at = match.end()
    parts.append(Part(template[at:]))
    for part in parts:
        if not part.namespace and "!{" in part.text:
            raise InvalidPrefix(
                f"the sequence '!{{' may only start an expression !{{namespace:value}}: {template}"
            )
    return [p for p in parts if p.text or p.namespace]


def _check_expression(namespace: str, value: str) -> None:
    if namespace == "timestamp":
        java_format(value, datetime(2000, 1, 1))  # raises on a pattern we cannot evaluate
    elif namespace == "firehose":
        if value not in ("random-string", "error-output-type"):
            raise InvalidPrefix(
                f"unknown firehose expression !{{firehose:{value}}}: use random-string or "
                "error-output-type"
            )
    elif namespace in ("partitionKeyFromQuery", "partitionKeyFromLambda"):
        raise InvalidPrefix(
            f"!{{{namespace}:{value}}} needs dynamic partitioning, which the local cloud does "
            "not run: use timestamp and firehose expressions only"
        )
    else:
        raise InvalidPrefix(f"unknown prefix namespace {namespace!r} in !{{{namespace}:{value}}}")


def has_expression(template: str) -> bool:
    return any(p.namespace for p in parse(template))


def _uses_error_type(parts: list[Part]) -> bool:
    return any(p.namespace == "firehose" and p.text == "error-output-type" for p in parts)


def effective_prefixes(prefix: str, error_prefix: str) -> tuple[str, str]:
    """The (Prefix, ErrorOutputPrefix) templates Firehose evaluates, after its rules."""
    parts, error_parts = parse(prefix), parse(error_prefix)
    if _uses_error_type(parts):
        raise InvalidPrefix("Prefix cannot contain !{firehose:error-output-type}")
    if any(p.namespace for p in error_parts) and not _uses_error_type(error_parts):
        raise InvalidPrefix(
            "ErrorOutputPrefix uses expressions, so it must contain "
            "!{firehose:error-output-type} at least once"
        )
    return _with_defaults(prefix, error_prefix, parts)


def _with_defaults(prefix: str, error_prefix: str, parts: list[Part]) -> tuple[str, str]:
    """Firehose's defaults: an error prefix from Prefix, and hourly folders in Prefix."""
    if not error_prefix and any(p.namespace for p in parts):
        raise InvalidPrefix("ErrorOutputPrefix cannot be null when Prefix contains expressions")
    if not error_prefix:
        error_prefix = f"{prefix}{ERROR_TYPE}/{DEFAULT_TIME}"
    if not any(p.namespace == "timestamp" for p in parts):
        prefix += DEFAULT_TIME
    return prefix, error_prefix


def evaluate(
    template: str,
    when: datetime,
    error_type: str = "",
    random_string: Callable[[], str] = lambda: str(uuid.uuid4())[:11],
) -> str:
    """`template` with its expressions evaluated at `when` (every timestamp the same instant)."""
    out = []
    for part in parse(template):
        if part.namespace == "timestamp":
            out.append(java_format(part.text, when))
        elif part.namespace == "firehose":
            out.append(error_type if part.text == "error-output-type" else random_string())
        else:
            out.append(part.text)
    return "".join(out)


def java_format(pattern: str, when: datetime) -> str:
    """`when` formatted by a Java DateTimeFormatter pattern (the letters y M d H m s)."""
    out: list[str] = []
    tokens = re.finditer(r"'([^']*)'|([A-Za-z])\2*|[^A-Za-z']+|'", pattern)
    for token in tokens:
        quoted, letter = token.group(1), token.group(2)
        if quoted is not None:
            out.append(quoted or "'")  # '' is one literal quote
        elif letter:
            out.append(_field(letter, len(token.group(0)), when, pattern))
        elif token.group(0) == "'":
            raise InvalidPrefix(f"unbalanced quote in timestamp pattern {pattern!r}")
        else:
            out.append(token.group(0))
    return "".join(out)


def _field(letter: str, width: int, when: datetime, pattern: str) -> str:
    if letter not in _FIELDS:
        raise InvalidPrefix(
            f"timestamp pattern {pattern!r}: the local cloud evaluates only the letters "
            f"{''.join(_FIELDS)} (and quoted text)"
        )
    value = getattr(when, _FIELDS[letter])
    if letter == "y" and width == 2:
        return f"{value % 100:02d}"
    return f"{value:0{width}d}"
