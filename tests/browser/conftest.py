"""Fixtures for the browser tests of the static site in web/.

The site is served from a temporary directory (a copy of web/ plus
data/mysfits.json as mysfits.json and an optional config.json) by a local
threaded http.server. API mode talks to a small stub of the Mysfits API.
Everything listens on 127.0.0.1 with a port chosen by the OS.
"""

from __future__ import annotations

import copy
import functools
import http.server
import json
import shutil
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from mysfits import showcase

from .chromium import find as find_chromium
from .chromium import why_missing

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # reported by the browser fixture with a clear message
    sync_playwright = None
else:
    # The default of 5 s is tight when the machine is busy (e.g. tests running in parallel).
    expect.set_options(timeout=10_000)

REPO_ROOT = Path(__file__).resolve().parents[2]
WEB_DIR = REPO_ROOT / "web"
DATA_FILE = REPO_ROOT / "data" / "mysfits.json"

# The flags the library's own screenshots use: one list for both (tests import it from here).
CHROMIUM_ARGS = showcase.CHROMIUM_ARGS

# The API filter names and the item fields they test.
FILTER_FIELDS = {"GoodEvil": "goodEvil", "LawChaos": "lawChaos"}


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mysfits() -> list[dict]:
    """The canonical list of mysfits from data/mysfits.json."""
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))["mysfits"]


# --------------------------------------------------------------------------
# Small HTTP servers
# --------------------------------------------------------------------------


class _QuietStaticHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature from the base class
        pass


def _start(server: http.server.ThreadingHTTPServer) -> http.server.ThreadingHTTPServer:
    server.daemon_threads = True
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


def _stop(server: http.server.ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


def _base_url(server: http.server.ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"


@pytest.fixture
def make_site(tmp_path):
    """Return make(config=None) -> base URL of a freshly served copy of the site.

    config=None means no config.json at all (the server answers 404).
    """
    servers = []

    def make(config: dict | None = None) -> str:
        root = tmp_path / f"site{len(servers)}"
        shutil.copytree(WEB_DIR, root)
        shutil.copyfile(DATA_FILE, root / "mysfits.json")
        if config is not None:
            (root / "config.json").write_text(json.dumps(config), encoding="utf-8")
        handler = functools.partial(_QuietStaticHandler, directory=str(root))
        server = _start(http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler))
        servers.append(server)
        return _base_url(server) + "/"

    yield make
    for server in servers:
        _stop(server)


@dataclass
class StubApi:
    """A stand-in for the Mysfits API service.

    requests: every path + query string received, in order.
    fail_status: when set, every request is answered with this status.
    detail_extra: fields added to GET /mysfits/{id} answers (e.g. likes).
    """

    mysfits: list[dict]
    requests: list[str] = field(default_factory=list)
    fail_status: int | None = None
    detail_extra: dict = field(default_factory=dict)
    endpoint: str = ""

    def answer(self, path: str) -> tuple[int, object]:
        if self.fail_status is not None:
            return self.fail_status, {"message": "stub failure"}
        parts = urlsplit(path)
        segments = [unquote(s) for s in parts.path.strip("/").split("/")]
        if segments == ["mysfits"]:
            items = self.mysfits
            query = parse_qs(parts.query)
            if "filter" in query:
                key = FILTER_FIELDS.get(query["filter"][0])
                if key is None or "value" not in query:
                    return 400, {"message": "bad filter"}
                items = [m for m in items if m[key] == query["value"][0]]
            return 200, {"mysfits": items}
        if len(segments) == 2 and segments[0] == "mysfits":
            for item in self.mysfits:
                if item["mysfitId"] == segments[1]:
                    return 200, {**item, **self.detail_extra}
        return 404, {"message": "not found"}


@pytest.fixture
def stub_api(mysfits):
    stub = StubApi(mysfits=copy.deepcopy(mysfits))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - name from the base class
            stub.requests.append(self.path)
            status, body = stub.answer(self.path)
            payload = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format, *args):  # noqa: A002
            pass

    server = _start(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    stub.endpoint = _base_url(server)
    yield stub
    _stop(server)


@pytest.fixture
def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# --------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if sync_playwright is None:
        pytest.fail(
            "The Python package 'playwright' is not installed. Run `make test`, which sets up "
            "the virtual environment and the browser.",
            pytrace=False,
        )
    chromium = find_chromium()
    if chromium is None:
        pytest.fail(why_missing(), pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class BrowserLog:
    """What the page did: every request URL and every uncaught script error."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def page(browser, browser_log):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("request", lambda request: browser_log.requests.append(request.url))
    page.on("pageerror", lambda error: browser_log.errors.append(str(error)))
    yield page
    context.close()
