"""Module 6's traffic: simulated visitors driving the deployed site's API, and what they did.

`plan` (trafficmodel) decides, from a seed, what every visitor does; `drive` sends it through
the same API the site uses (trafficclient), one request after another so outcomes such as
"adopted already" do not depend on timing, and records the ground truth: every count the
analysis must find again. The run is bounded: a plan larger than `max_requests` is refused
before anything is sent, and sending stops at `max_seconds` (the truth then says so).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from . import users
from .trafficclient import Endpoints, MysfitsClient, TokenSource, Transport, http_transport
from .trafficmodel import Behaviour, Session, Step, plan, requests_in, user_id
from .users import AppClient
from .workshop import Workshop

__all__ = [
    "Behaviour",
    "Endpoints",
    "GroundTruth",
    "drive",
    "new_run_id",
    "plan",
    "run_traffic",
    "sign_in_visitors",
]


def new_run_id(seed: int, now: datetime | None = None) -> str:
    """A run's id: its start time and seed (visitor ids start with it)."""
    return f"r{(now or datetime.now(UTC)):%Y%m%d%H%M%S}s{seed}"


@dataclass
class GroundTruth:
    """What the generator did and what the API answered: the figures the analysis must find."""

    run_id: str
    seed: int
    behaviour: dict[str, Any]
    catalogue: dict[str, dict[str, Any]]  # mysfitId -> name, species, goodEvil, lawChaos
    likes_before: dict[str, int]
    adopted_before: list[str]
    started: str = ""
    finished: str = ""
    sessions: int = 0
    requests: int = 0
    stopped_early: str = ""  # why sending stopped before the plan's end ("" when it did not)
    clicks: dict[str, int] = field(default_factory=dict)  # accepted by the click API
    likes: dict[str, int] = field(default_factory=dict)  # new likes (first by that user)
    like_repeats: int = 0  # a user liking a mysfit again: 200, count unchanged
    adoptions: list[str] = field(default_factory=list)  # adopted by this run
    refused: dict[str, int] = field(default_factory=dict)  # "action status" -> count
    funnel: dict[str, int] = field(default_factory=dict)  # sessions, clicked, liked, adopted

    @property
    def total_clicks(self) -> int:
        return sum(self.clicks.values())

    def clicks_by(self, attribute: str) -> dict[str, int]:
        """Accepted clicks per value of a catalogue attribute (species, goodEvil, lawChaos)."""
        counts: Counter[str] = Counter()
        for mysfit_id, n in self.clicks.items():
            counts[self.catalogue[mysfit_id][attribute]] += n
        return dict(counts)

    def likes_after(self) -> dict[str, int]:
        """Each mysfit's like count once this run's likes are in."""
        return {m: self.likes_before.get(m, 0) + self.likes.get(m, 0) for m in self.catalogue}

    def adopted_after(self) -> set[str]:
        return set(self.adopted_before) | set(self.adoptions)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True))
        return path

    @classmethod
    def load(cls, path: Path) -> GroundTruth:
        return cls(**json.loads(path.read_text()))


def _snapshot(client: MysfitsClient) -> list[dict[str, Any]]:
    status, body = client.list_mysfits()
    if status != 200 or not isinstance(body, dict):
        raise RuntimeError(f"GET /mysfits answered {status}: is the API deployed (module 4)?")
    return list(body["mysfits"])


def start_truth(client: MysfitsClient, run_id: str, seed: int, behaviour: Behaviour) -> GroundTruth:
    """The truth before any visitor acts: the catalogue, its likes and adoptions."""
    mysfits = _snapshot(client)
    keep = ("name", "species", "goodEvil", "lawChaos")
    return GroundTruth(
        run_id,
        seed,
        json.loads(json.dumps(asdict(behaviour))),  # as saved: ranges become lists
        {m["mysfitId"]: {k: m[k] for k in keep} for m in mysfits},
        {m["mysfitId"]: int(m.get("likes", 0)) for m in mysfits},
        sorted(m["mysfitId"] for m in mysfits if m.get("adopted")),
    )


class _Recorder:
    """Sends one session's steps and counts their outcomes into the truth."""

    def __init__(self, client: MysfitsClient, truth: GroundTruth) -> None:
        self.client, self.truth = client, truth
        self.liked: set[tuple[int, str]] = set()

    def _count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1

    def _refused(self, action: str, status: int) -> None:
        self._count(self.truth.refused, f"{action} {status}")

    def step(self, session: Session, step: Step) -> str | None:
        """Send `step`; the stage it reached (browsed, clicked, liked, adopted) or None."""
        mysfit, truth = step.mysfit_id, self.truth
        if step.action == "browse":
            status, _ = self.client.list_mysfits(step.filter)
            truth.requests += 1
            return self._outcome("browse", status, "browsed", lambda: None)
        if step.action == "click":
            self.client.get_mysfit(mysfit)  # the profile the site opens
            status, _ = self.client.send_click(mysfit, user_id(truth.run_id, session.user))
            truth.requests += 2
            return self._outcome(
                "click", status, "clicked", lambda: self._count(truth.clicks, mysfit)
            )
        sender = self.client.like if step.action == "like" else self.client.adopt
        status, _ = sender(mysfit, session.user)
        truth.requests += 1
        if step.action == "like":
            return self._outcome("like", status, "liked", lambda: self._like(session.user, mysfit))
        return self._outcome("adopt", status, "adopted", lambda: truth.adoptions.append(mysfit))

    def _outcome(
        self, action: str, status: int, stage: str, record: Callable[[], None]
    ) -> str | None:
        if status != 200:
            self._refused(action, status)
            return None
        record()
        return stage

    def _like(self, user: int, mysfit: str) -> None:
        if (user, mysfit) in self.liked:
            self.truth.like_repeats += 1
        else:
            self.liked.add((user, mysfit))
            self._count(self.truth.likes, mysfit)


def drive(
    client: MysfitsClient,
    sessions: list[Session],
    truth: GroundTruth,
    max_requests: int = 2_000,
    max_seconds: float = 120.0,
    clock: Callable[[], float] = time.monotonic,
) -> GroundTruth:
    """Send every session's steps in order, recording outcomes in `truth` (returned)."""
    planned = requests_in(sessions)
    if planned > max_requests:
        raise ValueError(
            f"the plan sends {planned} requests, more than max_requests={max_requests}: "
            "lower users or sessions, or raise max_requests"
        )
    recorder, deadline = _Recorder(client, truth), clock() + max_seconds
    reached: Counter[str] = Counter()
    truth.started = datetime.now(UTC).isoformat()
    for session in tqdm(sessions, desc="visitors' sessions", unit="session", disable=None):
        if clock() > deadline:
            truth.stopped_early = (
                f"max_seconds={max_seconds} passed after {truth.sessions} sessions"
            )
            break
        stages = {recorder.step(session, step) for step in session.steps}
        reached.update(stage for stage in stages if stage)
        truth.sessions += 1
    truth.finished = datetime.now(UTC).isoformat()
    truth.funnel = {
        "sessions": truth.sessions,
        **{k: reached[k] for k in ("clicked", "liked", "adopted")},
    }
    return truth


def sign_in_visitors(ws: Workshop, app_client: AppClient, run_id: str, count: int) -> TokenSource:
    """Sign up, confirm and sign in `count` visitors of this run; their ID tokens by number.

    Simulated visitors have no inbox to read a code from, so an administrator confirms them
    (AdminConfirmSignUp), as a support desk would.
    """
    pool_id, tokens = app_client.pool_id, {}
    for user in tqdm(range(count), desc="signing visitors in", unit="user", disable=None):
        email, password = f"{run_id}-{user:04d}@example.com", f"Visitor-{run_id}-{user}"
        users.sign_up(ws, app_client, email, password)
        ws.client("cognito-idp").admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
        tokens[user] = users.sign_in(ws, app_client, email, password).id_token

    def token(user: int) -> str:
        if user not in tokens:
            raise KeyError(f"visitor {user} is not signed in (only visitors 0 to {count - 1} are)")
        return tokens[user]

    return token


def run_traffic(
    ws: Workshop,
    endpoints: Endpoints,
    tokens: TokenSource,
    behaviour: Behaviour | None = None,
    seed: int = 6,
    run_id: str | None = None,
    max_requests: int = 2_000,
    max_seconds: float = 120.0,
    transport: Transport | None = None,
) -> GroundTruth:
    """Plan a run from the live catalogue, drive it through the API, return the truth."""
    behaviour = behaviour or Behaviour()
    client = MysfitsClient(endpoints, tokens, transport or http_transport())
    truth = start_truth(client, run_id or new_run_id(seed), seed, behaviour)
    catalogue = [{"mysfitId": k, **v} for k, v in sorted(truth.catalogue.items())]
    sessions = plan(behaviour, catalogue, seed)
    return drive(client, sessions, truth, max_requests, max_seconds)
