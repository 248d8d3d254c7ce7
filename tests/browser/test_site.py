"""Browser tests for the Mythical Mysfits static site (web/).

Run with: .venv/bin/python -m pytest tests/browser -q
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
CARDS = "#mysfits .mysfit-card"
EVIL = {"Evangeline", "Gretta", "Snowflake", "Rujin"}
LAWFUL = {"Evangeline", "Pauly", "Twilight Glitter"}


def wait_until(page, state: str) -> None:
    expect(page.locator("body")).to_have_attribute("data-state", state)


def shown_names(page, mysfits: list[dict]) -> set[str]:
    """Names of the mysfits whose cards are on the page, found by data-mysfit-id."""
    names = {m["mysfitId"]: m["name"] for m in mysfits}
    ids = page.locator(CARDS).evaluate_all("cards => cards.map(c => c.dataset.mysfitId)")
    return {names[i] for i in ids}


def card(page, mysfit: dict):
    return page.locator(f'{CARDS}[data-mysfit-id="{mysfit["mysfitId"]}"]')


def by_name(mysfits: list[dict], name: str) -> dict:
    return next(m for m in mysfits if m["name"] == name)


# --------------------------------------------------------------------------
# Static mode
# --------------------------------------------------------------------------


def test_static_mode_shows_every_mysfit(page, make_site, mysfits, browser_log):
    page.goto(make_site())  # no config.json at all

    wait_until(page, "ready")
    expect(page.locator("body")).to_have_attribute("data-mode", "static")
    expect(page.locator(CARDS)).to_have_count(12)
    assert shown_names(page, mysfits) == {m["name"] for m in mysfits}

    evangeline = card(page, by_name(mysfits, "Evangeline"))
    expect(evangeline).to_contain_text("Chimera")
    expect(evangeline).to_contain_text("43 years old")
    expect(evangeline).to_contain_text("Evil · Lawful")
    expect(evangeline.locator("img")).to_have_attribute("alt", "Evangeline the Chimera")

    # every picture really loaded (the SVG files exist and parse); pictures
    # arrive after the list is ready, so wait until each one has settled
    page.wait_for_function(
        "sel => [...document.querySelectorAll(sel)].every(i => i.complete)",
        arg=f"{CARDS} img",
    )
    broken = page.locator(f"{CARDS} img").evaluate_all(
        "imgs => imgs.filter(i => i.naturalWidth === 0).map(i => i.src)"
    )
    assert broken == []
    expect(page.locator("header")).to_contain_text("Mythical Mysfits")
    expect(page.locator("footer")).to_contain_text("workshop demo")
    assert browser_log.errors == []


def test_static_filter_good_evil(page, make_site, mysfits):
    page.goto(make_site())
    wait_until(page, "ready")

    page.select_option("#filter-goodevil", "Evil")
    expect(page.locator(CARDS)).to_have_count(4)
    assert shown_names(page, mysfits) == EVIL

    page.select_option("#filter-goodevil", "All")
    expect(page.locator(CARDS)).to_have_count(12)


def test_static_filter_law_chaos_resets_the_other_filter(page, make_site, mysfits):
    page.goto(make_site())
    wait_until(page, "ready")

    page.select_option("#filter-goodevil", "Evil")
    expect(page.locator(CARDS)).to_have_count(4)
    page.select_option("#filter-lawchaos", "Lawful")

    expect(page.locator(CARDS)).to_have_count(3)
    assert shown_names(page, mysfits) == LAWFUL
    expect(page.locator("#filter-goodevil")).to_have_value("All")


def test_config_version_is_shown_and_keeps_static_mode(page, make_site):
    page.goto(make_site({"version": 3}))

    wait_until(page, "ready")
    expect(page.locator("body")).to_have_attribute("data-mode", "static")
    expect(page.locator("#site-info")).to_contain_text("site version 3")
    expect(page.locator(CARDS)).to_have_count(12)


def test_profile_opens_with_description_and_closes_on_escape(page, make_site, mysfits, browser_log):
    gary = by_name(mysfits, "Gary")
    page.goto(make_site())
    wait_until(page, "ready")

    card(page, gary).click()
    dialog = page.locator("#profile")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#profile-name")).to_have_text("Gary")
    expect(dialog).to_contain_text(gary["description"])
    expect(dialog).to_contain_text("Kraken")
    expect(dialog).to_contain_text("2,709 years old")
    expect(dialog).to_contain_text("Neutral")
    expect(dialog).to_contain_text("Chaotic")
    expect(dialog.locator("#profile-image")).to_have_attribute("alt", "Gary the Kraken")
    expect(dialog).not_to_contain_text("Likes")  # the static data has no likes

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(card(page, gary).locator("button")).to_be_focused()
    assert browser_log.errors == []


# --------------------------------------------------------------------------
# API mode
# --------------------------------------------------------------------------


def test_api_mode_lists_and_filters_through_the_api(page, make_site, stub_api, mysfits):
    page.goto(make_site({"apiEndpoint": stub_api.endpoint, "version": 2}))

    wait_until(page, "ready")
    expect(page.locator("body")).to_have_attribute("data-mode", "api")
    expect(page.locator(CARDS)).to_have_count(12)
    assert stub_api.requests == ["/mysfits"]

    page.select_option("#filter-goodevil", "Evil")
    expect(page.locator(CARDS)).to_have_count(4)
    assert shown_names(page, mysfits) == EVIL
    assert "/mysfits?filter=GoodEvil&value=Evil" in stub_api.requests

    page.select_option("#filter-lawchaos", "Lawful")
    expect(page.locator(CARDS)).to_have_count(3)
    assert shown_names(page, mysfits) == LAWFUL
    assert stub_api.requests[-1] == "/mysfits?filter=LawChaos&value=Lawful"
    expect(page.locator("#filter-goodevil")).to_have_value("All")


def test_api_mode_trailing_slash_in_endpoint(page, make_site, stub_api):
    page.goto(make_site({"apiEndpoint": stub_api.endpoint + "/"}))

    wait_until(page, "ready")
    expect(page.locator(CARDS)).to_have_count(12)
    assert stub_api.requests == ["/mysfits"]


def test_api_profile_shows_likes_and_adoption(page, make_site, stub_api, mysfits):
    nessi = by_name(mysfits, "Nessi")
    stub_api.detail_extra = {"likes": 1234, "adopted": False}
    page.goto(make_site({"apiEndpoint": stub_api.endpoint}))
    wait_until(page, "ready")

    card(page, nessi).click()
    dialog = page.locator("#profile")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(nessi["description"])
    expect(dialog).to_contain_text("1,234")
    expect(dialog).to_contain_text("Not yet")
    assert f"/mysfits/{nessi['mysfitId']}" in stub_api.requests

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_unreachable_api_shows_a_clear_message(page, make_site, closed_port_url):
    page.goto(make_site({"apiEndpoint": closed_port_url}))

    wait_until(page, "error")
    expect(page.locator("body")).to_have_attribute("data-mode", "api")
    status = page.locator("#status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("could not be reached")
    expect(status).to_contain_text(closed_port_url)
    expect(status).to_contain_text("Is the service running")
    expect(page.locator(CARDS)).to_have_count(0)


def test_api_error_status_shows_a_clear_message(page, make_site, stub_api):
    stub_api.fail_status = 500
    page.goto(make_site({"apiEndpoint": stub_api.endpoint}))

    wait_until(page, "error")
    status = page.locator("#status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("HTTP 500")
    expect(status).to_contain_text(stub_api.endpoint)
    expect(page.locator(CARDS)).to_have_count(0)


def test_data_from_the_api_is_shown_as_text_not_html(page, make_site, stub_api, browser_log):
    hostile = '<img src="x" onerror="window.__pwned = true">Mallory'
    stub_api.mysfits = [{**stub_api.mysfits[0], "name": hostile, "species": "<b>Bold</b>"}]
    page.goto(make_site({"apiEndpoint": stub_api.endpoint}))

    wait_until(page, "ready")
    first = page.locator(CARDS).first
    expect(first).to_contain_text(hostile)
    expect(first).to_contain_text("<b>Bold</b>")
    assert first.locator("b").count() == 0
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate("window.__pwned === undefined")
    assert browser_log.errors == []


# --------------------------------------------------------------------------
# Whole site
# --------------------------------------------------------------------------


def test_no_request_leaves_the_loopback_interface(page, make_site, stub_api, mysfits, browser_log):
    page.goto(make_site())
    wait_until(page, "ready")
    card(page, by_name(mysfits, "Cole")).click()
    expect(page.locator("#profile")).to_be_visible()
    page.keyboard.press("Escape")

    page.goto(make_site({"apiEndpoint": stub_api.endpoint}))
    wait_until(page, "ready")
    page.select_option("#filter-lawchaos", "Chaotic")
    expect(page.locator(CARDS)).to_have_count(4)
    card(page, by_name(mysfits, "Rujin")).click()
    expect(page.locator("#profile")).to_contain_text("Troll")
    page.goto(make_site() + "error.html")
    expect(page.locator("h1")).to_be_visible()

    assert browser_log.requests, "the page made no requests at all?"
    outside = [
        url
        for url in browser_log.requests
        if not ipaddress.ip_address(urlsplit(url).hostname).is_loopback
    ]
    assert outside == []


def test_error_page_is_friendly(page, make_site):
    page.goto(make_site() + "error.html")

    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("body")).to_contain_text(re.compile(r"not found.*not public", re.S))
    expect(page.locator("a")).to_have_attribute("href", "/")


@pytest.mark.parametrize("image", sorted(p.name for p in (WEB_DIR / "images").glob("*.svg")))
def test_images_are_small(image):
    assert (WEB_DIR / "images" / image).stat().st_size < 4096


def test_every_mysfit_has_its_images(mysfits):
    for mysfit in mysfits:
        slug = mysfit["name"].lower().replace(" ", "-")
        assert mysfit["thumbImageUri"] == f"images/{slug}.svg"
        assert (WEB_DIR / mysfit["thumbImageUri"]).is_file()
        assert (WEB_DIR / mysfit["profileImageUri"]).is_file()
    assert not (WEB_DIR / "mysfits.json").exists(), "the data lives in data/mysfits.json only"
