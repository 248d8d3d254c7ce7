"""The one way the local cloud changes moto: named patches that remember what they replaced.

moto's models and responses are classes shared by the whole process, so a patch is process-wide
while it is applied. Each `LocalCloud` owns a `Patches`; `undo` puts moto back exactly as it was,
which lets a test run the same request with a fidelity fix on and with it off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_MISSING = object()


class PatchError(RuntimeError):
    """A patch was named twice, or undone while it was not applied."""


@dataclass
class Patch:
    """One attribute of one owner (a class or a module) replaced by the local cloud."""

    name: str
    owner: Any
    attribute: str
    replacement: Any
    original: Any = _MISSING
    applied: bool = False

    def apply(self) -> None:
        self.original = (
            self.owner.__dict__.get(self.attribute, _MISSING)
            if isinstance(self.owner, type)
            else getattr(self.owner, self.attribute, _MISSING)
        )
        setattr(self.owner, self.attribute, self.replacement)
        self.applied = True

    def undo(self) -> None:
        if self.original is _MISSING:
            delattr(self.owner, self.attribute)
        else:
            setattr(self.owner, self.attribute, self.original)
        self.applied = False


class Patches:
    """The named patches of one local cloud, applied in order and undone in reverse."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._patches: dict[str, Patch] = {}

    def apply(self, name: str, owner: Any, attribute: str, replacement: Any) -> None:
        """Replace `owner.attribute` with `replacement` under `name` (one name, one patch)."""
        with self._lock:
            if name in self._patches:
                raise PatchError(f"a patch named {name!r} is already registered")
            patch = Patch(name, owner, attribute, replacement)
            patch.apply()
            self._patches[name] = patch

    def wrap(self, name: str, owner: Any, attribute: str, make: Callable[[Any], Any]) -> None:
        """Replace `owner.attribute` by `make(current)`: it may call the original it replaces."""
        self.apply(name, owner, attribute, make(getattr(owner, attribute)))

    def original(self, name: str) -> Any:
        """What patch `name` replaced (for a replacement that wraps the original)."""
        with self._lock:
            return self._patches[name].original

    def names(self, prefix: str = "") -> list[str]:
        """The registered patches whose names start with `prefix`, in the order applied."""
        with self._lock:
            return [name for name in self._patches if name.startswith(prefix)]

    def is_applied(self, name: str) -> bool:
        with self._lock:
            patch = self._patches.get(name)
            return patch is not None and patch.applied

    def undo(self, prefix: str) -> list[str]:
        """Undo each applied patch whose name starts with `prefix` (newest first); their names."""
        with self._lock:
            chosen = [
                p
                for p in reversed(self._patches.values())
                if p.name.startswith(prefix) and p.applied
            ]
            for patch in chosen:
                patch.undo()
            return [p.name for p in chosen]

    def redo(self, prefix: str) -> list[str]:
        """Apply again the patches `undo(prefix)` took off (oldest first); return their names."""
        with self._lock:
            chosen = [
                p for p in self._patches.values() if p.name.startswith(prefix) and not p.applied
            ]
            for patch in chosen:
                patch.apply()
            return [p.name for p in chosen]

    def undo_all(self) -> None:
        """Put moto back as it was before this local cloud started."""
        with self._lock:
            self.undo("")
            self._patches.clear()
