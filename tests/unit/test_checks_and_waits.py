"""Checks carry evidence and fail loudly; the shared wait times out with a clear message."""

import pytest

from mysfits.checks import CHECK_MIME_TYPE, Check, expect_equal, require
from mysfits.errors import VerificationFailed
from mysfits.waiting import WaitTimedOut, wait_until


def test_require_passes_quietly_and_raises_with_every_failure() -> None:
    require(Check("one", True, "ok"))
    with pytest.raises(VerificationFailed) as caught:
        require(
            Check("one", True, "ok"),
            Check("two", False, "HTTP 500"),
            Check("three", False, "missing"),
        )
    assert str(caught.value) == "[FAIL] two: HTTP 500; [FAIL] three: missing"


def test_check_renders_for_notebooks_and_runner() -> None:
    bundle = Check("site answers", False, "HTTP 403 <html>")._repr_mimebundle_()
    assert bundle[CHECK_MIME_TYPE] == {
        "name": "site answers",
        "ok": False,
        "evidence": "HTTP 403 <html>",
    }
    assert "&lt;html&gt;" in bundle["text/html"] and "#cf222e" in bundle["text/html"]


def test_expect_equal_records_both_sides() -> None:
    check = expect_equal("count", 11, 12)
    assert not check and check.evidence == "got 11, expected 12"
    assert check.details == {"actual": 11, "expected": 12}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.pauses.append(seconds)


def test_wait_returns_the_first_truthy_value() -> None:
    clock, answers = FakeClock(), iter([None, 0, "ready"])
    assert (
        wait_until(lambda: next(answers), what="thing", sleep=clock.sleep, clock=clock) == "ready"
    )
    assert clock.pauses == pytest.approx([0.1, 0.2])  # a quick second look, then backing off


def test_wait_backs_off_to_the_interval_and_stays_there() -> None:
    clock, answers = FakeClock(), iter([None] * 7 + ["ready"])
    assert wait_until(
        lambda: next(answers), what="thing", interval=1.0, sleep=clock.sleep, clock=clock
    )
    assert clock.pauses == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0])


def test_wait_times_out_naming_what_and_hint() -> None:
    clock = FakeClock()
    with pytest.raises(
        WaitTimedOut, match="Timed out after 5 s waiting for targets healthy. Check the log"
    ):
        wait_until(
            lambda: False,
            what="targets healthy",
            timeout=5,
            hint="Check the log.",
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.now == pytest.approx(5.0)  # the last pause is cut short at the deadline
