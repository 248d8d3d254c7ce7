"""Stack exports, guarded as AWS guards them.

AWS behaviour restored: an export another stack imports cannot be deleted or changed ("Export
<name> cannot be deleted as it is in use by <stack>", "... cannot be updated ..."); an export name
another stack owns cannot be taken ("Export with name <name> is already exported by stack
<stack>"); a stack that is deleted or updated releases the exports it no longer has. moto 5.2.5
deletes a stack whose exports are imported, keeps a deleted stack's exports registered (creating
the stack again fails: "Export names must be unique") and keeps the old values after an update.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moto.cloudformation.models import CloudFormationBackend, Stack
from moto.cloudformation.parsing import OutputMap, clean_json

from .events import AwsWordedError, reason
from .ordering import find


def importers(
    backend: CloudFormationBackend, stack: Stack, names: set[str]
) -> dict[str, list[str]]:
    """Which other stacks import which of `names` (export name -> stack names)."""
    users: dict[str, list[str]] = {}
    for other in backend.stacks.values():
        if other is stack:
            continue
        for name in _imported(other):
            if name in names and other.name not in users.setdefault(name, []):
                users[name].append(other.name)
    return users


def _imported(stack: Stack) -> list[str]:
    """The export names `stack`'s template imports (those it can resolve), in template order."""
    names: list[str] = []
    for argument in find(stack.template_dict, "Fn::ImportValue"):
        try:
            name = clean_json(argument, stack.resource_map)
        except Exception:  # an import we cannot resolve cannot be one of ours
            continue
        if isinstance(name, str):
            names.append(name)
    return names


def in_use(
    backend: CloudFormationBackend, stack: Stack, names: Iterable[str], verb: str = "deleted"
) -> str | None:
    """AWS's refusal when another stack imports one of `names`, else None."""
    users = importers(backend, stack, set(names))
    if not users:
        return None
    name, stacks = next(iter(users.items()))
    return f"Export {name} cannot be {verb} as it is in use by {' and '.join(stacks)}"


def updated_exports(backend: CloudFormationBackend, stack: Stack, outputs: OutputMap) -> list[Any]:
    """The updated stack's exports, or AwsWordedError saying why AWS would refuse them."""
    try:
        exports = outputs.exports
    except Exception as error:
        raise AwsWordedError(reason(error)) from error
    values = {export.name: export.value for export in exports}
    for export in stack.exports:
        if values.get(export.name) != export.value:
            verb = "updated" if export.name in values else "deleted"
            if refusal := in_use(backend, stack, [export.name], verb):
                raise AwsWordedError(refusal)
    for name in values:
        _require_unowned(backend, stack, name)
    return exports


def _require_unowned(backend: CloudFormationBackend, stack: Stack, name: str) -> None:
    owner = backend.exports.get(name)
    if owner is not None and owner.exporting_stack_id != stack.stack_id:
        other = backend.stacks.get(owner.exporting_stack_id)
        raise AwsWordedError(
            f"Export with name {name} is already exported by stack "
            f"{other.name if other else owner.exporting_stack_id}"
        )


def release(backend: CloudFormationBackend, names: Iterable[str]) -> None:
    """Forget the exports `names` (their stack is gone)."""
    for name in names:
        backend.exports.pop(name, None)


def replace(backend: CloudFormationBackend, stack: Stack, exports: list[Any]) -> None:
    """Swap `stack`'s registered exports for `exports` (after an update)."""
    for export in stack.exports:
        if getattr(backend.exports.get(export.name), "exporting_stack_id", None) == stack.stack_id:
            del backend.exports[export.name]
    backend.exports.update({export.name: export for export in exports})
