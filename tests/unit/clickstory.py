"""A whole analysis of a fake run, without S3: traffic through the fake site, its deliveries
parsed, the answers and the checks (shared by the report's unit and browser tests)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mysfits import analysis, clickloader, clicksynth, traffic
from mysfits.checks import Check
from mysfits.clickrecords import parse_object
from mysfits.trafficclient import Endpoints, MysfitsClient
from mysfits.trafficmodel import Behaviour, plan

from .fakeapi import API, CLICKS, FakeSite, token


@dataclass
class Story:
    truth: traffic.GroundTruth
    load: clickloader.ClickLoad
    clicks: pd.DataFrame
    joined: pd.DataFrame
    checks: list[Check]
    lines: list[bytes]  # the clicks as the processor delivers them


def analysed(seed: int = 6) -> Story:
    site = FakeSite()
    client = MysfitsClient(Endpoints(API, CLICKS), token, site.send)
    truth = traffic.start_truth(client, "run1", seed, Behaviour())
    traffic.drive(client, plan(Behaviour(), clicksynth.catalogue(), seed), truth)
    lines = site.delivered()
    clicks, duplicates, incomplete = clickloader.split(parse_object("k", b"".join(lines)).table)
    load = clickloader.ClickLoad(
        clicks, duplicates, pd.DataFrame(), incomplete, objects=1, fetched=1
    )
    joined = analysis.funnel(clicks, site.table_items(), truth.likes_before)
    checks = [
        analysis.check_total_clicks(clicks, truth),
        analysis.check_clicks_per_mysfit(analysis.clicks_per_mysfit(clicks), truth),
        analysis.check_likes(joined, truth),
        analysis.check_adoptions(joined, truth),
    ]
    return Story(truth, load, clicks, joined, checks, lines)
