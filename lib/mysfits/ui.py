"""Thin ipywidgets panels for learners; headless runs call the same library functions directly."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets


class ValidatedText:
    """A text input that validates as you type and shows why a value is refused."""

    def __init__(self, label: str, value: str, validate: Callable[[str], Any]):
        self._validate = validate
        self.text = widgets.Text(
            value=value,
            description=label,
            style={"description_width": "initial"},
            layout=widgets.Layout(width="32em"),
            continuous_update=True,
        )
        self.message = widgets.HTML()
        self.text.observe(lambda _change: self.refresh(), names="value")
        self._listeners: list[Callable[[], None]] = []
        self.refresh()

    @property
    def value(self) -> str:
        return self.text.value

    @property
    def valid(self) -> bool:
        return self.error is None

    @property
    def error(self) -> str | None:
        try:
            self._validate(self.text.value)
        except ValueError as problem:
            return str(problem)
        return None

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def refresh(self) -> None:
        error = self.error
        self.message.value = (
            f'<span style="color:#cf222e">&#10008; {html.escape(error)}</span>'
            if error
            else '<span style="color:#1a7f37">&#10004; valid</span>'
        )
        for listener in self._listeners:
            listener()

    @property
    def widget(self) -> widgets.Widget:
        return widgets.VBox([self.text, self.message])


def panel(
    title: str, actions: dict[str, Callable[[], Any]], inputs: list[ValidatedText] | None = None
) -> widgets.VBox:
    """A titled box of inputs and one button per action; results and errors go to an Output area."""
    inputs = inputs or []
    output = widgets.Output(layout=widgets.Layout(border="1px solid #ddd", padding="4px"))
    # Sized to their labels: the default fixed width cuts "Remove public read" short.
    buttons = [
        widgets.Button(description=label, layout=widgets.Layout(width="auto")) for label in actions
    ]

    def enable() -> None:
        for button in buttons:
            button.disabled = not all(i.valid for i in inputs)

    def run(label: str) -> None:
        # One action at a time: a second click during a slow one (a release) would queue behind it.
        for button in buttons:
            button.disabled = True
        try:
            _run(actions[label], label, output)
        finally:
            enable()

    for button in buttons:
        button.on_click(lambda clicked: run(clicked.description))
    for field in inputs:
        field.on_change(enable)
    enable()
    return widgets.VBox(
        [
            widgets.HTML(f"<b>{html.escape(title)}</b>"),
            *(i.widget for i in inputs),
            widgets.HBox(buttons),
            output,
        ]
    )


def _run(action: Callable[[], Any], label: str, output: widgets.Output) -> None:
    # A slow action (a release takes minutes) would otherwise look like a dead button.
    _show(output, f"{label}: running…")
    try:
        result = action()
    except Exception as problem:  # shown to the learner, who can fix the input and retry
        _show(
            output,
            widgets.HTML(
                f'<span style="color:#cf222e">{html.escape(label)} failed: '
                f"{html.escape(str(problem))}</span>"
            ),
        )
        return
    _show(output, _presentable(label, result))


def _show(output: widgets.Output, item: Any) -> None:
    """Replace what `output` shows with `item` (a sentence as plain text, not as a quoted repr)."""
    # Set from the kernel rather than captured with `with output:`: that also works when a
    # callback fires outside the cell that made the panel.
    output.outputs = ()
    if isinstance(item, str):
        output.append_stdout(item + "\n")
    else:
        output.append_display_data(item)


def _presentable(label: str, result: Any) -> Any:
    """Rich results as they are; None and booleans ("did it change anything") as words."""
    if result is None or result is True:
        return f"{label}: done"
    if result is False:
        return f"{label}: nothing to do"
    return result
