"""API Gateway mapping templates (VTL, rendered by airspeed) and the variables they see.

AWS: `$input.body` is the raw payload; `$input.json(path)` the JSONPath result as JSON text;
`$input.path(path)` the result as an object; `$input.params(name)` looks in path, then query
string, then headers (`$input.params()` gives all three maps); `$context.requestId`,
`$context.requestTimeEpoch` (ms), `$context.identity.sourceIp`, `$context.stage`,
`$context.resourcePath`, `$context.httpMethod`, `$context.authorizer.claims.<name>`;
`$util.base64Encode/Decode`, `$util.escapeJavaScript` (which turns `'` into `\\'`),
`$util.parseJson`, `$util.urlEncode/Decode`. JSONPath here is the subset templates use:
`$`, `$.a.b`, `$['a']`, `$.a[0]`.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote_plus

import airspeed

_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]|\[\"([^\"]*)\"\]")


class TemplateError(ValueError):
    """The template or the JSONPath cannot be evaluated (API Gateway answers 500)."""


def json_path(document: Any, path: str) -> Any:
    """The value at `path` in `document` (None where a step is missing)."""
    path = (path or "$").strip()
    if not path.startswith("$"):
        raise TemplateError(f"JSONPath must start with $: {path!r}")
    value, position = document, 1
    while position < len(path):
        step = _STEP.match(path, position)
        if step is None:
            raise TemplateError(f"unsupported JSONPath {path!r}")
        name, index, quoted, double = step.groups()
        key: Any = int(index) if index is not None else (name or quoted or double)
        value = _step(value, key)
        position = step.end()
    return value


def _step(value: Any, key: Any) -> Any:
    if isinstance(key, int):
        return value[key] if isinstance(value, list) and -len(value) <= key < len(value) else None
    return value.get(key) if isinstance(value, dict) else None


class Util:
    """`$util` in a template."""

    @staticmethod
    def base64Encode(text: Any) -> str:  # noqa: N802 - VTL's name
        return base64.b64encode(str(text).encode()).decode()

    @staticmethod
    def base64Decode(text: Any) -> str:  # noqa: N802
        return base64.b64decode(str(text)).decode("utf-8", "replace")

    @staticmethod
    def escapeJavaScript(text: Any) -> str:  # noqa: N802
        escaped = json.dumps(str(text))[1:-1]
        return escaped.replace("'", "\\'")

    @staticmethod
    def parseJson(text: Any) -> Any:  # noqa: N802
        return json.loads(str(text))

    @staticmethod
    def urlEncode(text: Any) -> str:  # noqa: N802
        return quote_plus(str(text))

    @staticmethod
    def urlDecode(text: Any) -> str:  # noqa: N802
        return unquote_plus(str(text))


@dataclass
class Input:
    """`$input` in a template: the method request."""

    body: str
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def _document(self) -> Any:
        try:
            return json.loads(self.body) if self.body.strip() else {}
        except ValueError:
            raise TemplateError("the request body is not JSON") from None

    def json(self, path: str = "$") -> str:
        return json.dumps(json_path(self._document(), path))

    def path(self, path: str = "$") -> Any:
        return json_path(self._document(), path)

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return {"path": self.path_params, "querystring": self.query, "header": self.headers}
        for source in (self.path_params, self.query):
            if name in source:
                return source[name]
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")


@functools.lru_cache(maxsize=256)
def _compiled(template: str) -> airspeed.Template:
    """One airspeed Template per template text: it parses on its first merge and keeps the
    tree, and parsing costs ten times a merge (a stage renders the same few templates)."""
    return airspeed.Template(template)


def render(template: str, variables: dict[str, Any]) -> str:
    """`template` merged with `variables` (`input`, `context`, `util`, `stageVariables`)."""
    try:
        return str(_compiled(template).merge({"util": Util(), **variables}))
    except TemplateError:
        raise
    except Exception as error:  # airspeed's parse and merge errors have no common base
        raise TemplateError(f"mapping template failed: {error}") from None
