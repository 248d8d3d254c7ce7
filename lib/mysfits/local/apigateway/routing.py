"""Which resource and method of a deployed API a request path reaches, with its path parameters.

As API Gateway routes: a literal path part wins over a `{param}` part, which wins over a greedy
`{proxy+}` (one or more remaining parts); a method the resource lacks falls to its ANY method.
No match, or a match without the method, is answered `403 Missing Authentication Token` by the
caller. When several resources match the path, the most specific one that has the method is
taken (unconfirmed against AWS for APIs mixing `{proxy+}` with specific resources).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import unquote

T = TypeVar("T")


@dataclass
class _Node(Generic[T]):
    literals: dict[str, _Node[T]] = field(default_factory=dict)
    param: tuple[str, _Node[T]] | None = None
    greedy: tuple[str, _Node[T]] | None = None
    path: str | None = None  # the resource path when a resource ends here
    methods: dict[str, T] = field(default_factory=dict)


@dataclass(frozen=True)
class Match(Generic[T]):
    """A routed request: the resource's path template, the path parameters and the method."""

    resource_path: str
    params: dict[str, str]
    method: T


def _child(node: _Node[T], part: str) -> _Node[T]:
    if part.startswith("{") and part.endswith("+}"):
        if node.greedy is None:
            node.greedy = (part[1:-2], _Node())
        return node.greedy[1]
    if part.startswith("{") and part.endswith("}"):
        if node.param is None:
            node.param = (part[1:-1], _Node())
        return node.param[1]
    return node.literals.setdefault(part, _Node())


class RouteTable(Generic[T]):
    """Resources (path templates) and their methods, matched against request paths."""

    def __init__(self, routes: dict[str, dict[str, T]]):
        self._root: _Node[T] = _Node()
        for path, methods in routes.items():
            node = self._root
            for part in [p for p in path.split("/") if p]:
                node = _child(node, part)
            node.path = path
            node.methods.update(methods)

    def match(self, method: str, path: str) -> Match[T] | None:
        """The route for `method` on `path` (percent-encoded as received), or None."""
        parts = [unquote(p) for p in path.split("/") if p]
        return self._walk(self._root, parts, method.upper(), {})

    def _walk(
        self, node: _Node[T], parts: list[str], method: str, params: dict[str, str]
    ) -> Match[T] | None:
        if not parts:
            return self._here(node, method, params)
        head, rest = parts[0], parts[1:]
        literal = node.literals.get(head)
        if literal is not None:
            found = self._walk(literal, rest, method, params)
            if found is not None:
                return found
        if node.param is not None:
            name, child = node.param
            found = self._walk(child, rest, method, {**params, name: head})
            if found is not None:
                return found
        if node.greedy is not None:
            name, child = node.greedy
            return self._here(child, method, {**params, name: "/".join(parts)})
        return None

    @staticmethod
    def _here(node: _Node[T], method: str, params: dict[str, str]) -> Match[T] | None:
        if node.path is None:
            return None
        chosen = node.methods.get(method) or node.methods.get("ANY")
        return None if chosen is None else Match(node.path, params, chosen)
