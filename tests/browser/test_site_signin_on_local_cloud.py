"""Site version 3 in Chromium against the local cloud: register, confirm with the code from the
local mailbox, sign in, like, adopt, sign out; token refresh and an expired session.

The site is served by the S3 website endpoint and talks to the local Cognito's JSON API with
fetch (cross-origin: CORS) and to module 4's API Gateway stage, whose Cognito authorizer guards
like and adopt before it proxies over the VPC link to the NLB and the service (which checks the
token again); the NLB's direct path is closed (see signin_stack). The tests check that the like
and adopt requests went to the stage, and that the stage refuses a like without a valid token.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from mysfits import serviceapi, users

from .signin_stack import SignInStack, signin_stack

PASSWORD = "Mysfits4ever"
CARDS = "#mysfits .mysfit-card"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInStack]:
    with signin_stack(tmp_path_factory.mktemp("signin-home")) as deployed:
        yield deployed


@pytest.fixture
def cognito_calls(page: Page) -> list[str]:
    """The Cognito operations the page called, in order."""
    calls: list[str] = []

    def seen(request: Any) -> None:
        target = request.headers.get("x-amz-target", "")
        if target.startswith("AWSCognitoIdentityProviderService."):
            calls.append(target.split(".", 1)[1] + ":" + _flow(request))

    page.on("request", seen)
    return calls


@dataclass(frozen=True)
class ApiCall:
    """A like or adopt the page POSTed, and who answered it."""

    url: str
    action: str
    status: int
    request_id: str  # API Gateway's x-amzn-RequestId ("" when absent)


@pytest.fixture
def api_calls(page: Page) -> list[ApiCall]:
    """The likes and adopts the page sent, in order, with their answers."""
    calls: list[ApiCall] = []

    def seen(response: Any) -> None:
        action = response.url.rsplit("/", 1)[-1]
        if response.request.method == "POST" and action in ("like", "adopt"):
            request_id = response.headers.get("x-amzn-requestid", "")
            calls.append(ApiCall(response.url, action, response.status, request_id))

    page.on("response", seen)
    return calls


def through_the_stage(stack: SignInStack, calls: list[ApiCall]) -> bool:
    """Every call went to the stage's URL and carries API Gateway's request id."""
    return all(
        call.url.startswith(f"{stack.stage.url}/mysfits/") and call.request_id for call in calls
    )


def _flow(request: Any) -> str:
    try:
        return str(json.loads(request.post_data or "{}").get("AuthFlow", ""))
    except ValueError:
        return ""


def new_email() -> str:
    return f"learner-{uuid.uuid4().hex[:8]}@example.com"


def open_site(page: Page, stack: SignInStack) -> None:
    page.goto(stack.site_url + "/")
    expect(page.locator("body")).to_have_attribute("data-state", "ready")
    expect(page.locator("body")).to_have_attribute("data-auth", "on")


def message(page: Page) -> Any:
    return page.locator("#auth-message")


def register_and_confirm(page: Page, stack: SignInStack, email: str) -> None:
    page.click("#sign-in-open")
    page.click('[data-tab="register"]')
    page.fill("#register-email", email)
    page.fill("#register-password", PASSWORD)
    page.click("#register-form button[type=submit]")
    expect(message(page)).to_contain_text("We sent a confirmation code to l***@e***")
    page.fill("#confirm-code", users.read_confirmation_code(stack.ws, email))
    page.click("#confirm-form button[type=submit]")
    expect(message(page)).to_contain_text("confirmed: sign in")


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.fill("#sign-in-email", email)
    page.fill("#sign-in-password", password)
    page.click("#sign-in-form button[type=submit]")


def open_profile(page: Page, name: str) -> Any:
    page.locator(f"{CARDS} button", has_text=name).click()
    dialog = page.locator("#profile")
    expect(dialog.locator("#profile-name")).to_have_text(name)
    expect(dialog.locator("#profile-status")).to_be_hidden()  # the fresh details arrived
    return dialog


def stored(stack: SignInStack, name: str) -> dict[str, Any]:
    items = stack.ws.client("dynamodb").scan(TableName=stack.table)["Items"]
    return next(item for item in items if item["Name"]["S"] == name)


def test_register_confirm_sign_in_like_adopt_sign_out(
    page: Page, stack: SignInStack, browser_log: Any, api_calls: list[ApiCall]
) -> None:
    email = new_email()
    open_site(page, stack)
    expect(page.locator("#sign-in-open")).to_be_visible()

    # A weak password: Cognito's own reason, from the policy the page shows.
    page.click("#sign-in-open")
    page.click('[data-tab="register"]')
    expect(page.locator("#password-policy")).to_have_text(
        "At least 8 characters, with an upper-case letter, a lower-case letter, a number."
    )
    page.fill("#register-email", email)
    page.fill("#register-password", "short")
    page.click("#register-form button[type=submit]")
    expect(message(page)).to_contain_text("Password too weak")
    page.fill("#register-password", PASSWORD)
    page.click("#register-form button[type=submit]")
    expect(message(page)).to_contain_text("We sent a confirmation code")

    # Signing in before confirming: told so, and taken to the code.
    page.click('[data-tab="sign-in"]')
    sign_in(page, email)
    expect(message(page)).to_contain_text("not confirmed yet")
    expect(page.locator("#confirm-form")).to_be_visible()
    expect(page.locator("#confirm-email")).to_have_value(email)

    page.fill("#confirm-code", "000000")
    page.click("#confirm-form button[type=submit]")
    expect(message(page)).to_contain_text("not the one we sent")
    page.fill("#confirm-code", users.read_confirmation_code(stack.ws, email))
    page.click("#confirm-form button[type=submit]")
    expect(message(page)).to_contain_text("confirmed: sign in")

    sign_in(page, email, "Wrong-password-1")
    expect(message(page)).to_have_text("Wrong e-mail address or password.")
    sign_in(page, email)
    expect(page.locator("#auth")).to_be_hidden()
    expect(page.locator("#account-user")).to_have_text(f"Signed in as {email}")

    # Like twice (the second changes nothing), then adopt.
    dialog = open_profile(page, "Cole")
    like = dialog.locator("#like-button")
    expect(like).to_be_enabled()
    like.click()
    expect(like).to_have_text("You like this")
    expect(like).to_be_disabled()
    expect(dialog.locator("#profile-facts")).to_contain_text("Likes1")
    dialog.locator("#adopt-button").click()
    expect(dialog.locator("#adopt-button")).to_have_text("Adopted by you")
    expect(dialog.locator("#profile-facts")).to_contain_text("Yes, by you")
    item = stored(stack, "Cole")
    assert item["Likes"] == {"N": "1"} and item["Adopted"] == {"BOOL": True}
    assert len(item["LikedBy"]["SS"]) == 1 and item["AdoptedBy"]["S"] == item["LikedBy"]["SS"][0]
    assert [(call.action, call.status) for call in api_calls] == [("like", 200), ("adopt", 200)]
    assert through_the_stage(stack, api_calls), api_calls

    # The session outlives a reload (sessionStorage), and the API remembers the like.
    page.reload()
    expect(page.locator("#account-user")).to_have_text(f"Signed in as {email}")
    page.keyboard.press("Escape")
    dialog = open_profile(page, "Cole")
    expect(dialog.locator("#like-button")).to_have_text("You like this")
    assert page.evaluate("Object.keys(localStorage).length") == 0

    page.keyboard.press("Escape")
    page.click("#sign-out")
    expect(page.locator("#account-message")).to_have_text("You are signed out.")
    expect(page.locator("#sign-in-open")).to_be_visible()
    assert page.evaluate("Object.keys(sessionStorage).length") == 0
    dialog = open_profile(page, "Cole")
    expect(dialog.locator("#like-button")).to_be_disabled()
    expect(dialog.locator("#profile-sign-in")).to_be_visible()
    assert browser_log.errors == []


def test_tokens_are_refreshed_before_they_expire_then_the_session_ends(
    page: Page, stack: SignInStack, cognito_calls: list[str], api_calls: list[ApiCall]
) -> None:
    email = new_email()
    page.clock.install()
    open_site(page, stack)
    register_and_confirm(page, stack, email)
    sign_in(page, email)
    expect(page.locator("#account-user")).to_have_text(f"Signed in as {email}")

    # ID tokens live an hour; the page refreshes five minutes before the end. (Only just past
    # it: the request then takes real time, and the page's own 10 s timeout runs on this clock.)
    page.clock.run_for("54:00")
    assert "InitiateAuth:REFRESH_TOKEN_AUTH" not in cognito_calls
    with page.expect_response(lambda response: _flow(response.request) == "REFRESH_TOKEN_AUTH"):
        page.clock.run_for("01:01")
    expect(page.locator("#account-user")).to_have_text(f"Signed in as {email}")
    dialog = open_profile(page, "Gretta")
    dialog.locator("#like-button").click()
    expect(dialog.locator("#like-button")).to_have_text("You like this")
    page.keyboard.press("Escape")
    assert cognito_calls.count("InitiateAuth:REFRESH_TOKEN_AUTH") == 1
    # The stage's authorizer accepted the refreshed token.
    assert [(call.action, call.status) for call in api_calls] == [("like", 200)]
    assert through_the_stage(stack, api_calls), api_calls

    # The refresh token is revoked (signed out everywhere): the next refresh ends the session.
    stack.ws.client("cognito-idp").admin_user_global_sign_out(
        UserPoolId=stack.pool.id, Username=email
    )
    page.clock.run_for("54:00")
    with page.expect_response(lambda response: _flow(response.request) == "REFRESH_TOKEN_AUTH"):
        page.clock.run_for("01:01")
    expect(page.locator("#account-message")).to_have_text(
        "Your session has expired: please sign in again."
    )
    expect(page.locator("#sign-in-open")).to_be_visible()


def test_the_stage_refuses_a_like_without_a_valid_token(
    page: Page, stack: SignInStack, api_calls: list[ApiCall]
) -> None:
    open_site(page, stack)
    hasla = serviceapi.find_by_name(stack.stage.url, "Hasla")["mysfitId"]
    likes = stored(stack, "Hasla")["Likes"]

    # No token: the authorizer's 401, readable by the page (the gateway response carries CORS).
    refused = page.evaluate(
        """async (url) => {
            const response = await fetch(url, { method: "POST" });
            return { status: response.status, body: await response.json() };
        }""",
        f"{stack.stage.url}/mysfits/{hasla}/like",
    )
    assert refused == {"status": 401, "body": {"message": "Unauthorized"}}

    # A signed-in visitor whose ID token was tampered with: the stage refuses the like and the
    # page says the session is over.
    email = new_email()
    register_and_confirm(page, stack, email)
    sign_in(page, email)
    expect(page.locator("#account-user")).to_have_text(f"Signed in as {email}")
    page.evaluate(TAMPER, f"mysfits.session.{stack.client.id}")
    page.reload()
    expect(page.locator("#account-user")).to_have_text(f"Signed in as {email}")
    dialog = open_profile(page, "Hasla")
    dialog.locator("#like-button").click()
    expect(dialog.locator("#profile-action-hint")).to_have_text(
        "Your session has expired: please sign in again."
    )
    expect(page.locator("#sign-in-open")).to_be_visible()
    assert [(call.action, call.status) for call in api_calls] == [("like", 401), ("like", 401)]
    assert through_the_stage(stack, api_calls), api_calls
    assert stored(stack, "Hasla")["Likes"] == likes


# Replace the last characters of the stored ID token's signature: its claims still read as the
# user's (the page shows them signed in), but no key verifies the signature any more.
TAMPER = """(key) => {
    const session = JSON.parse(sessionStorage.getItem(key));
    const [head, body, signature] = session.idToken.split(".");
    const tail = signature.endsWith("AAAA") ? "BBBB" : "AAAA";
    session.idToken = `${head}.${body}.${signature.slice(0, -4)}${tail}`;
    sessionStorage.setItem(key, JSON.stringify(session));
}"""
