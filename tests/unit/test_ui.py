"""Widget panels: live validation and buttons wired to the same library calls."""

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
    panel = ui.panel("Site bucket", {"Create": lambda: calls.append(box.value) or "created",
                                     "Fail": lambda: (_ for _ in ()).throw(RuntimeError("nope"))}, [box])
    buttons = panel.children[2].children
    output = panel.children[3]
    assert [b.description for b in buttons] == ["Create", "Fail"] and not buttons[0].disabled
    buttons[0].click()
    assert calls == ["good-name"]
    buttons[1].click()
    assert "Fail failed: nope" in str(output.outputs)
    box.text.value = "x"
    assert all(b.disabled for b in buttons)
