"""Widget panels: live validation and buttons wired to the same library calls."""

import ipywidgets as widgets

from mysfits import ui
from mysfits.website import validate_bucket_name


def test_validated_text_reports_the_broken_rule_as_you_type() -> None:
    box = ui.ValidatedText("Bucket name", "good-name", validate_bucket_name)
    assert box.valid and "valid" in box.message.value
    box.text.value = "Bad_Name"
    assert not box.valid and "lowercase letters" in box.message.value


def test_panel_buttons_follow_validity_and_capture_results() -> None:
    calls: list[str] = []
    box = ui.ValidatedText("Bucket name", "good-name", validate_bucket_name)
    panel = ui.panel(
        "Site bucket",
        {
            "Create": lambda: calls.append(box.value) or "created",
            "Fail": lambda: (_ for _ in ()).throw(RuntimeError("nope")),
        },
        [box],
    )
    buttons = panel.children[2].children
    output = panel.children[3]
    assert [b.description for b in buttons] == ["Create", "Fail"] and not buttons[0].disabled
    buttons[0].click()
    assert calls == ["good-name"]
    buttons[1].click()
    assert "Fail failed: nope" in str(output.outputs)
    box.text.value = "x"
    assert all(b.disabled for b in buttons)


def _texts(output: widgets.Output) -> str:
    return " ".join(o.get("text", "") for o in output.outputs)


def test_panel_says_done_or_nothing_to_do_for_empty_and_boolean_results() -> None:
    panel = ui.panel(
        "Site bucket", {"Remove": lambda: None, "Delete": lambda: True, "Again": lambda: False}
    )
    buttons, output = panel.children[1].children, panel.children[2]
    expected = ["Remove: done\n", "Delete: done\n", "Again: nothing to do\n"]
    for button, text in zip(buttons, expected, strict=True):
        button.click()
        assert _texts(output) == text


def test_panel_shows_running_and_takes_no_click_while_an_action_runs() -> None:
    seen: list[tuple[str, list[bool]]] = []
    box = ui.ValidatedText("Bucket name", "good-name", validate_bucket_name)

    def release() -> None:
        seen.append((_texts(output), [b.disabled for b in buttons]))

    panel = ui.panel("Ship", {"Release": release, "States": lambda: None}, [box])
    buttons, output = panel.children[2].children, panel.children[3]
    buttons[0].click()
    assert seen == [("Release: running…\n", [True, True])]
    assert [b.disabled for b in buttons] == [False, False]
    box.text.value = "x"  # after an action as before, an invalid input disables every button
    buttons[1].click()
    assert all(b.disabled for b in buttons)
