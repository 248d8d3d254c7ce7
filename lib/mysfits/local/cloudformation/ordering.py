"""The order in which CloudFormation creates and deletes a stack's resources (pure, no moto).

AWS behaviour restored: a resource that refers to another through Ref, Fn::GetAtt, Fn::Sub or
DependsOn is created after it and deleted before it; of an Fn::If only the branch the stack's
condition chose counts. A template whose resources refer to each other in a circle is refused
before anything changes: "Circular dependency between resources: [A, B]" (ValidationError).
moto 5.2.5 orders creation by DependsOn alone, follows references lazily (recursing without end
on a circle) and retries deletes in arbitrary order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from types import MappingProxyType
from typing import Any

# Condition name -> whether it holds: moto's lazy condition map, or a plain dict in tests.
Conditions = Mapping[str, Any]

# ${Name} and ${Name.Attribute} in an Fn::Sub string; ${!Literal} is text, not a reference.
_SUB_NAME = re.compile(r"\$\{([^!}][^}]*)\}")


class CircularDependency(ValueError):
    """Resources refer to each other in a circle: no order can create or delete them."""

    def __init__(self, resources: list[str]):
        self.resources = resources
        super().__init__(f"Circular dependency between resources: [{', '.join(resources)}]")


def references(node: Any, conditions: Conditions) -> set[str]:
    """Names a template fragment refers to through Ref, Fn::GetAtt, Fn::Sub and DependsOn.

    The names include parameters and pseudo parameters; `dependencies` keeps the resources.
    """
    if isinstance(node, list):
        return set().union(*(references(item, conditions) for item in node))
    if not isinstance(node, dict):
        return set()
    found: set[str] = set()
    for key, value in node.items():
        rule = _RULES.get(key)
        found |= rule(value, conditions) if rule else references(value, conditions)
    return found


def _ref(value: Any, conditions: Conditions) -> set[str]:
    return {value} if isinstance(value, str) else references(value, conditions)


def _depends_on(value: Any, conditions: Conditions) -> set[str]:
    return {value} if isinstance(value, str) else set(value)


def _get_att(value: Any, conditions: Conditions) -> set[str]:
    return {value[0] if isinstance(value, list) else str(value).split(".")[0]}


def _sub(value: Any, conditions: Conditions) -> set[str]:
    text, variables = (value[0], value[1]) if isinstance(value, list) else (value, {})
    named = {name.split(".")[0] for name in _SUB_NAME.findall(str(text)) if name not in variables}
    return named | references(variables, conditions)


def _if(value: Any, conditions: Conditions) -> set[str]:
    if not (isinstance(value, list) and len(value) == 3):
        return references(value, conditions)
    try:  # only the branch the stack's conditions chose
        chosen = value[1] if conditions[value[0]] else value[2]
    except Exception:  # a condition that cannot be evaluated: either branch may be taken
        return references(value[1:], conditions)
    return references(chosen, conditions)


_RULES: Mapping[str, Callable[[Any, Conditions], set[str]]] = MappingProxyType(
    {
        "Ref": _ref,
        "DependsOn": _depends_on,
        "Fn::GetAtt": _get_att,
        "Fn::Sub": _sub,
        "Fn::If": _if,
    }
)


def dependencies(
    definitions: Mapping[str, Any], among: Collection[str], conditions: Conditions
) -> dict[str, set[str]]:
    """For each logical id in `among` (in its order), the others in `among` its definition uses."""
    ids = set(among)
    return {lid: references(definitions[lid], conditions) & ids - {lid} for lid in among}


def dependents_first(uses: Mapping[str, set[str]]) -> list[str]:
    """Order logical ids so that every resource comes before the ones it uses (delete order).

    Reversed, it is the create order. Ties keep the template's order, last resource first.
    """
    users: dict[str, list[str]] = {lid: [] for lid in uses}
    for user, used in uses.items():
        for lid in used:
            users[lid].append(user)
    order: list[str] = []
    seen: set[str] = set()

    def visit(lid: str) -> None:
        if lid in seen:
            return
        seen.add(lid)
        for user in users[lid]:
            visit(user)
        order.append(lid)

    for lid in reversed(list(uses)):
        visit(lid)
    return order


def circular(uses: Mapping[str, set[str]]) -> list[str]:
    """The resources on a circle of references (and any between two circles), in `uses` order.

    Peels off what uses nothing left or is used by nothing left; only circles remain.
    """
    left = {lid: set(used) & uses.keys() for lid, used in uses.items()}
    while free := _off_circles(left):
        left = {lid: used - free for lid, used in left.items() if lid not in free}
    return list(left)


def _off_circles(uses: Mapping[str, set[str]]) -> set[str]:
    """Those that use none of `uses`, or that none of `uses` uses: they lie on no circle."""
    used = set().union(*uses.values())
    return {lid for lid, its in uses.items() if not its or lid not in used}


def require_acyclic(uses: Mapping[str, set[str]]) -> None:
    """Raise CircularDependency, naming the resources, when `uses` has a circle."""
    if resources := circular(uses):
        raise CircularDependency(resources)


def find(node: Any, key: str) -> list[Any]:
    """Every value stored under `key` anywhere in a template fragment, outermost first."""
    if isinstance(node, dict):
        here = [value for name, value in node.items() if name == key]
        return here + [found for value in node.values() for found in find(value, key)]
    if isinstance(node, list):
        return [found for item in node for found in find(item, key)]
    return []
