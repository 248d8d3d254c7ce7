"""What config.json turns on: sign-in (version 3) and the click send (version 4).

A stub click stream stands in for module 5's `POST /clicks`; the Mysfits API is the stub of
conftest. Sign-in itself is tested against the local cloud (test_site_signin_on_local_cloud).
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, expect

CARDS = "#mysfits .mysfit-card"
COGNITO = {"region": "us-east-1", "userPoolId": "us-east-1_Example1", "clientId": "abc123"}


@dataclass
class ClickStream:
    url: str = ""
    records: list[dict] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)
    fail: bool = False


@pytest.fixture
def clicks() -> Iterator[ClickStream]:
    stream = ClickStream()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _cors(self) -> None:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")

        def do_OPTIONS(self) -> None:  # noqa: N802
            self.send_response(200)
            self._cors()
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            stream.records.append(json.loads(body))
            status = 500 if stream.fail else 200
            payload = json.dumps({"clickId": str(len(stream.records))}).encode()
            self.send_response(status)
            self._cors()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            stream.arrived.set()

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stream.url = f"http://127.0.0.1:{server.server_address[1]}/prod/clicks"
    yield stream
    server.shutdown()
    server.server_close()


def open_profile(page: Page, mysfit: dict) -> None:
    page.locator(f'{CARDS}[data-mysfit-id="{mysfit["mysfitId"]}"] button').click()
    expect(page.locator("#profile-name")).to_have_text(mysfit["name"])


def test_version_2_has_no_sign_in(page: Page, make_site, stub_api, mysfits, browser_log) -> None:
    page.goto(make_site({"apiEndpoint": stub_api.endpoint, "version": 2}))
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    expect(page.locator("body")).to_have_attribute("data-auth", "off")
    expect(page.locator("#account")).to_be_hidden()
    open_profile(page, mysfits[0])
    expect(page.locator("#profile-actions")).to_be_hidden()
    assert browser_log.errors == []


def test_cognito_without_an_api_is_ignored(page: Page, make_site) -> None:
    page.goto(make_site({"version": 3, "cognito": COGNITO}))
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    expect(page.locator("body")).to_have_attribute("data-auth", "off")


def test_incomplete_cognito_settings_say_what_is_missing(page: Page, make_site, stub_api) -> None:
    config = {"apiEndpoint": stub_api.endpoint, "cognito": {"region": "us-east-1"}}
    page.goto(make_site(config))
    expect(page.locator("body")).to_have_attribute("data-state", "error")
    expect(page.locator("#status")).to_contain_text("lacks userPoolId, clientId")


def test_signed_out_visitor_sees_sign_in_and_no_cognito_call(
    page: Page, make_site, stub_api, mysfits, browser_log
) -> None:
    page.goto(make_site({"apiEndpoint": stub_api.endpoint, "version": 3, "cognito": COGNITO}))
    expect(page.locator("body")).to_have_attribute("data-auth", "on")
    expect(page.locator("#sign-in-open")).to_be_visible()
    open_profile(page, mysfits[1])
    expect(page.locator("#like-button")).to_be_disabled()
    page.click("#profile-sign-in")
    expect(page.locator("#auth-message")).to_have_text("Sign in to like or adopt.")
    # Nothing went to Cognito (amazonaws.com) before the visitor asked.
    assert not [url for url in browser_log.requests if "amazonaws.com" in url]
    assert browser_log.errors == []


def test_version_4_sends_a_click_when_a_profile_opens(
    page: Page, make_site, stub_api, mysfits, clicks: ClickStream
) -> None:
    page.goto(make_site({"apiEndpoint": stub_api.endpoint, "clicksUrl": clicks.url, "version": 4}))
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    assert clicks.records == []  # listing sends none
    open_profile(page, mysfits[2])
    assert clicks.arrived.wait(10)
    assert clicks.records == [{"mysfitId": mysfits[2]["mysfitId"]}]


def test_a_failing_click_stream_never_disturbs_the_page(
    page: Page, make_site, stub_api, mysfits, clicks: ClickStream, closed_port_url, browser_log
) -> None:
    clicks.fail = True
    page.goto(make_site({"apiEndpoint": stub_api.endpoint, "clicksUrl": clicks.url}))
    open_profile(page, mysfits[3])
    assert clicks.arrived.wait(10)
    expect(page.locator("#profile-status")).to_be_hidden()  # the details still arrived
    page.keyboard.press("Escape")

    page.goto(make_site({"apiEndpoint": stub_api.endpoint, "clicksUrl": closed_port_url}))
    open_profile(page, mysfits[4])
    expect(page.locator("#profile-facts")).to_contain_text(mysfits[4]["species"])
    expect(page.locator("#profile-status")).to_be_hidden()
    assert browser_log.errors == []


def test_without_a_click_stream_no_click_is_sent(
    page: Page, make_site, stub_api, mysfits, browser_log
) -> None:
    site = make_site({"apiEndpoint": stub_api.endpoint, "version": 3})
    page.goto(site)
    open_profile(page, mysfits[5])
    expect(page.locator("#profile-status")).to_be_hidden()
    elsewhere = [u for u in browser_log.requests if not u.startswith((site, stub_api.endpoint))]
    assert elsewhere == []


def test_a_signed_in_visitors_click_carries_their_user_id(
    page: Page, make_site, stub_api, mysfits, clicks: ClickStream, browser_log
) -> None:
    # A session as the page stores it, restored on load (the token is only read, not checked,
    # by the page; nothing here reaches Cognito: the refresh is decades away, further than one
    # setTimeout can wait).
    claims = {"sub": "user-1234", "email": "learner@example.com"}
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    session = {
        "idToken": f"e30.{payload}.sig",
        "refreshToken": "refresh",
        "expiresAt": 4102444800000,
        "lifetime": 3600000,
    }
    key = f"mysfits.session.{COGNITO['clientId']}"
    page.add_init_script(
        f"sessionStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(session))})"
    )
    config = {"apiEndpoint": stub_api.endpoint, "clicksUrl": clicks.url, "cognito": COGNITO}
    page.goto(make_site(config))
    expect(page.locator("#account-user")).to_have_text("Signed in as learner@example.com")
    open_profile(page, mysfits[6])
    assert clicks.arrived.wait(10)
    assert clicks.records == [{"mysfitId": mysfits[6]["mysfitId"], "userId": "user-1234"}]
    assert not [url for url in browser_log.requests if "amazonaws.com" in url]
