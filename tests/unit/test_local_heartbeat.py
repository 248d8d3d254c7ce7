"""The heartbeat's Delegate: a service's runner ticks with the heartbeat and stops on reset."""

from __future__ import annotations

from mysfits.local.core.heartbeat import Delegate


def test_a_delegate_ticks_and_closes_its_runner_and_closes_it_on_reset() -> None:
    calls: list[str] = []
    runner = Delegate("runner", lambda: calls.append("close"), lambda: calls.append("tick"))
    runner.tick()
    runner.refresh()  # a runner with no endpoints has nothing to refresh
    runner.reset()
    runner.close()
    assert (runner.name, calls) == ("runner", ["tick", "close", "close"])


def test_a_delegate_without_a_tick_only_closes() -> None:
    calls: list[str] = []
    builds = Delegate("builds", lambda: calls.append("close"))
    builds.tick()
    builds.reset()
    assert calls == ["close"]
