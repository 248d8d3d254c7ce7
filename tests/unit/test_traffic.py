"""The traffic generator: a seeded plan, driven through a fake site, and its ground truth."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from mysfits import clicksynth, traffic, trafficclient
from mysfits.trafficclient import Endpoints, ForeignEndpoint, MysfitsClient
from mysfits.trafficmodel import Behaviour, plan, requests_in
from mysfits.workshop import Workshop

from .fakeapi import API, CLICKS, FakeSite, token

MYSFITS = clicksynth.catalogue()
SMALL = Behaviour(users=8, signed_in=4)


def client_for(site: FakeSite) -> MysfitsClient:
    return MysfitsClient(Endpoints(API, CLICKS), token, site.send)


def run(
    site: FakeSite, behaviour: Behaviour = SMALL, seed: int = 6, **bounds
) -> traffic.GroundTruth:
    client = client_for(site)
    truth = traffic.start_truth(client, "run1", seed, behaviour)
    return traffic.drive(client, plan(behaviour, MYSFITS, seed), truth, **bounds)


def test_the_same_seed_makes_the_same_plan_and_another_seed_another() -> None:
    assert plan(SMALL, MYSFITS, 6) == plan(SMALL, MYSFITS, 6)
    assert plan(SMALL, MYSFITS, 6) != plan(SMALL, MYSFITS, 7)


def test_only_signed_in_visitors_like_or_adopt() -> None:
    sessions = plan(Behaviour(users=40, signed_in=5), MYSFITS, 1)
    acting = {s.user for s in sessions for step in s.steps if step.action in ("like", "adopt")}
    assert acting and acting <= set(range(5))


def test_preferences_shape_the_plan() -> None:
    sessions = plan(Behaviour(users=300, signed_in=300), MYSFITS, 3)
    by_alignment = {m["mysfitId"]: m["goodEvil"] for m in MYSFITS}
    opened = Counter(
        by_alignment[st.mysfit_id] for s in sessions for st in s.steps if st.action == "click"
    )
    liked = Counter(
        by_alignment[st.mysfit_id] for s in sessions for st in s.steps if st.action == "like"
    )
    # 4 Good, 4 Neutral, 4 Evil mysfits; Good is opened and liked more (weights 2.0 vs 0.6).
    assert opened["Good"] > opened["Neutral"] > opened["Evil"]
    assert liked["Good"] / opened["Good"] > liked["Evil"] / opened["Evil"]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"users": 0}, "users must be"),
        ({"signed_in": 9}, "signed_in must be"),
        ({"profiles_per_session": (3, 1)}, "profiles_per_session must be"),
        ({"adopt_rate": 1.5}, "shares"),
    ],
)
def test_bad_parameters_are_refused_with_the_rule(change, words) -> None:
    with pytest.raises(ValueError, match=words):
        plan(replace(SMALL, **change), MYSFITS, 1)


def test_the_truth_matches_what_the_site_received() -> None:
    site = FakeSite()
    truth = run(site)
    assert truth.clicks == dict(Counter(c["mysfitId"] for c in site.clicks))
    assert truth.likes_after() == {m: site.mysfits[m]["likes"] for m in site.mysfits}
    assert truth.adopted_after() == {m for m, v in site.mysfits.items() if v["adopted"]}
    assert truth.requests == len(site.requests) - 1  # the snapshot before the run is not traffic
    assert {c["userId"].rsplit("-", 1)[0] for c in site.clicks} == {"run1"}
    funnel = truth.funnel
    assert funnel["sessions"] >= funnel["clicked"] >= funnel["liked"] >= funnel["adopted"] > 0


def test_likes_count_once_per_visitor_and_adopting_twice_is_refused() -> None:
    site = FakeSite(likes={MYSFITS[0]["mysfitId"]: 5}, adopted={MYSFITS[1]["mysfitId"]})
    truth = run(site, Behaviour(users=30, signed_in=30, adopt_rate=1.0), seed=2)
    assert truth.likes_before[MYSFITS[0]["mysfitId"]] == 5
    assert truth.like_repeats > 0  # the plan has visitors liking a mysfit twice
    assert sum(truth.likes.values()) == len(site.likers)
    assert truth.refused.get("adopt 409", 0) > 0
    assert MYSFITS[1]["mysfitId"] not in truth.adoptions
    assert len(truth.adoptions) == len(set(truth.adoptions))


def test_a_plan_over_the_request_bound_is_refused_before_anything_is_sent() -> None:
    site = FakeSite()
    client = client_for(site)
    truth = traffic.start_truth(client, "run1", 6, SMALL)
    sessions = plan(SMALL, MYSFITS, 6)
    sent_before = len(site.requests)
    with pytest.raises(ValueError, match="max_requests"):
        traffic.drive(client, sessions, truth, max_requests=requests_in(sessions) - 1)
    assert len(site.requests) == sent_before


def test_sending_stops_at_the_time_bound_and_the_truth_says_so() -> None:
    ticks = iter(range(1000))
    truth = run(FakeSite(), max_seconds=3, clock=lambda: next(ticks))
    assert truth.sessions == 3 and "max_seconds=3" in truth.stopped_early


def test_the_client_refuses_other_hosts() -> None:
    site = FakeSite()
    client = MysfitsClient(Endpoints(API, CLICKS), token, site.send)
    client.endpoints = Endpoints("http://elsewhere.test", CLICKS)  # as a bug could
    with pytest.raises(ForeignEndpoint):
        client.list_mysfits()
    assert site.requests == []


def test_own_endpoints_admits_only_this_accounts_apis(ws: Workshop) -> None:
    api_id = ws.client("apigateway").create_rest_api(name="mysfits")["id"]
    ours = f"https://{api_id}.execute-api.us-east-1.amazonaws.com/prod"
    assert trafficclient.own_endpoints(ws, ours, ours) == Endpoints(ours, ours)
    for foreign in (
        "https://abcdefghij.execute-api.us-east-1.amazonaws.com/prod",  # not our API
        f"https://{api_id}.execute-api.eu-west-1.amazonaws.com/prod",  # another region
        "https://example.com/prod",
    ):
        with pytest.raises(ForeignEndpoint, match="own APIs"):
            trafficclient.own_endpoints(ws, ours, foreign)


def test_the_truth_survives_a_round_trip_through_json(tmp_path: Path) -> None:
    truth = run(FakeSite())
    again = traffic.GroundTruth.load(truth.save(tmp_path / "truth.json"))
    assert again == truth and again.clicks_by("species") == truth.clicks_by("species")
