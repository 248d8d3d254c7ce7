"""The visitors' behaviour, as a seeded plan: who browses, filters, opens, likes and adopts what.

The plan is drawn before any request is sent, from a seed and a few parameters, so the same
seed always makes the same plan. Each visitor has a favourite species; which profiles they
open is weighted by alignment and by that favourite, and the funnel from a profile view
(a click) to a like and from a like to an adoption has its own rates by alignment. Only
signed-in visitors can like and adopt (the API asks for a token), as on the site.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ALIGNMENTS = ("Good", "Neutral", "Evil")
FILTERS = ("GoodEvil", "LawChaos")


@dataclass(frozen=True)
class Behaviour:
    """The model's parameters; the defaults make a run of about 400 requests."""

    users: int = 24
    signed_in: int = 6  # the first `signed_in` users sign in; the rest browse anonymously
    sessions_per_user: tuple[int, int] = (1, 3)  # inclusive range
    profiles_per_session: tuple[int, int] = (1, 6)
    filter_share: float = 0.3  # sessions that filter the list before opening profiles
    # How much more often a profile of each alignment is opened, and a favourite species.
    open_weight: dict[str, float] = field(
        default_factory=lambda: {"Good": 2.0, "Neutral": 1.0, "Evil": 0.6}
    )
    favourite_weight: float = 3.0
    like_rate: dict[str, float] = field(
        default_factory=lambda: {"Good": 0.5, "Neutral": 0.3, "Evil": 0.15}
    )
    adopt_rate: float = 0.35  # of likes, the visitor tries to adopt

    def problems(self) -> list[str]:
        """What is wrong with these parameters (empty: nothing)."""
        found = []
        if not 1 <= self.users <= 10_000:
            found.append(f"users must be 1 to 10,000, not {self.users}")
        if not 0 <= self.signed_in <= self.users:
            found.append(f"signed_in must be 0 to users ({self.users}), not {self.signed_in}")
        for name in ("sessions_per_user", "profiles_per_session"):
            low, high = getattr(self, name)
            if not 1 <= low <= high:
                found.append(f"{name} must be a range (low, high) with 1 <= low <= high")
        rates = [self.filter_share, self.adopt_rate, *self.like_rate.values()]
        if any(not 0 <= rate <= 1 for rate in rates):
            found.append("filter_share, adopt_rate and like_rate values are shares: 0 to 1")
        return found


@dataclass(frozen=True)
class Step:
    """One thing a visitor does: browse (GET /mysfits, maybe filtered), click, like or adopt."""

    action: str  # browse | click | like | adopt
    mysfit_id: str = ""
    filter: tuple[str, str] | None = None  # (filter, value) of a filtered browse


@dataclass(frozen=True)
class Session:
    number: int
    user: int
    signed_in: bool
    steps: tuple[Step, ...]


def user_id(run_id: str, user: int) -> str:
    """The id a visitor's clicks carry: the run's id first, so one run's clicks can be found."""
    return f"{run_id}-{user:04d}"


def _weights(mysfits: list[dict[str, Any]], b: Behaviour, favourite: str) -> list[float]:
    return [
        b.open_weight.get(m["goodEvil"], 1.0)
        * (b.favourite_weight if m["species"] == favourite else 1)
        for m in mysfits
    ]


def _browse(rng: random.Random, b: Behaviour, mysfits: list[dict[str, Any]]) -> Step:
    if rng.random() >= b.filter_share:
        return Step("browse")
    name = rng.choice(FILTERS)
    field_name = "goodEvil" if name == "GoodEvil" else "lawChaos"
    return Step("browse", filter=(name, rng.choice(sorted({m[field_name] for m in mysfits}))))


def _visible(step: Step, mysfits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mysfits a (filtered) list shows; a filter that shows nothing shows everything."""
    if step.filter is None:
        return mysfits
    name, value = step.filter
    field_name = "goodEvil" if name == "GoodEvil" else "lawChaos"
    return [m for m in mysfits if m[field_name] == value] or mysfits


def _session_steps(
    rng: random.Random, b: Behaviour, mysfits: list[dict[str, Any]], favourite: str, signed_in: bool
) -> Iterator[Step]:
    browse = _browse(rng, b, mysfits)
    yield browse
    shown = _visible(browse, mysfits)
    for _ in range(rng.randint(*b.profiles_per_session)):
        mysfit = rng.choices(shown, weights=_weights(shown, b, favourite))[0]
        yield Step("click", mysfit["mysfitId"])
        liked = rng.random() < b.like_rate.get(mysfit["goodEvil"], 0.0)
        if signed_in and liked:
            yield Step("like", mysfit["mysfitId"])
            if rng.random() < b.adopt_rate:
                yield Step("adopt", mysfit["mysfitId"])


def plan(behaviour: Behaviour, mysfits: list[dict[str, Any]], seed: int) -> list[Session]:
    """Every session of the run, in the order they will be sent; the same seed, the same plan."""
    problems = behaviour.problems()
    if problems:
        raise ValueError("; ".join(problems))
    if not mysfits:
        raise ValueError("the catalogue is empty: seed the table (module 3) first")
    rng = random.Random(seed)
    species = sorted({m["species"] for m in mysfits})
    sessions: list[Session] = []
    for user in range(behaviour.users):
        favourite = rng.choice(species)
        signed_in = user < behaviour.signed_in
        for _ in range(rng.randint(*behaviour.sessions_per_user)):
            steps = tuple(_session_steps(rng, behaviour, mysfits, favourite, signed_in))
            sessions.append(Session(len(sessions), user, signed_in, steps))
    return sessions


def requests_in(sessions: list[Session]) -> int:
    """How many HTTP requests the plan sends (a click is two: the profile and the click API)."""
    return sum(2 if s.action == "click" else 1 for session in sessions for s in session.steps)
