"""The list filter: which attribute to match and the values it may take."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import BadRequest

# Filter name (as used in the query string and as the DynamoDB attribute)
# -> allowed values, in the order they are shown in error messages.
ALLOWED_VALUES: dict[str, tuple[str, ...]] = {
    "GoodEvil": ("Good", "Neutral", "Evil"),
    "LawChaos": ("Lawful", "Neutral", "Chaotic"),
}

# Filter name -> the API's camelCase field holding that value.
FIELD_FOR_FILTER: dict[str, str] = {"GoodEvil": "goodEvil", "LawChaos": "lawChaos"}


@dataclass(frozen=True, slots=True)
class ListFilter:
    """A validated ``filter``/``value`` pair."""

    name: str
    value: str

    @property
    def field(self) -> str:
        """The camelCase item field this filter compares."""
        return FIELD_FOR_FILTER[self.name]

    def matches(self, item: dict[str, object]) -> bool:
        return item.get(self.field) == self.value


def _describe(name: str) -> str:
    return f"{name} ({', '.join(ALLOWED_VALUES[name])})"


def parse_filter(name: str | None, value: str | None) -> ListFilter | None:
    """Validate the query parameters; ``None`` means no filter."""
    if name is None and value is None:
        return None
    choices = "; ".join(_describe(n) for n in ALLOWED_VALUES)
    if name is None or value is None:
        raise BadRequest(
            f"'filter' and 'value' must be given together. Allowed filters and values: {choices}"
        )
    allowed = ALLOWED_VALUES.get(name)
    if allowed is None:
        raise BadRequest(
            f"Unknown filter. Allowed filters: {', '.join(ALLOWED_VALUES)}. "
            f"Allowed values: {choices}"
        )
    if value not in allowed:
        raise BadRequest(f"Unknown value for filter {name}. Allowed values: {', '.join(allowed)}")
    return ListFilter(name, value)


def reject_repeats(params: Iterable[tuple[str, str]], names: Iterable[str]) -> None:
    """400 when one of ``names`` is given more than once (which one would win is unclear)."""
    seen = [name for name, _ in params]
    repeated = [name for name in names if seen.count(name) > 1]
    if repeated:
        raise BadRequest(f"Give {' and '.join(repr(n) for n in repeated)} once only.")
