"""The local cloud's additions to moto's state, per service, account and region like moto's own.

A service package asks for its store with a factory; `reset` forgets every store at once, in the
same breath as moto's own reset, so no added state outlives the resources it describes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class Stores:
    """One cloud's added state: `get(service, account, region, factory)` makes it on first use."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._stores: dict[tuple[str, str, str], Any] = {}

    def get(self, service: str, account: str, region: str, factory: Callable[[], T]) -> T:
        with self._lock:
            key = (service, account, region)
            if key not in self._stores:
                self._stores[key] = factory()
            return self._stores[key]

    def of(self, service: str) -> Iterator[tuple[str, str, Any]]:
        """(account, region, store) for every store `service` has made."""
        with self._lock:
            found = [(a, r, s) for (name, a, r), s in self._stores.items() if name == service]
        yield from found

    def reset(self) -> None:
        with self._lock:
            self._stores.clear()
