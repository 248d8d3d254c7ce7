"""Thin ipywidgets panels for learners; headless runs call the same library functions directly."""

from __future__ import annotations

import html
from typing import Any, Callable

import ipywidgets as widgets


class ValidatedText:
    """A text input that validates as you type and shows why a value is refused."""

    def __init__(self, label: str, value: str, validate: Callable[[str], Any]):
        self._validate = validate
        self.text = widgets.Text(value=value, description=label, style={"description_width": "initial"},
                                 layout=widgets.Layout(width="32em"), continuous_update=True)
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
        self.message.value = (f'<span style="color:#cf222e">&#10008; {html.escape(error)}</span>' if error
                              else '<span style="color:#1a7f37">&#10004; valid</span>')
        for listener in self._listeners:
            listener()

    @property
    def widget(self) -> widgets.Widget:
        return widgets.VBox([self.text, self.message])


def panel(title: str, actions: dict[str, Callable[[], Any]], inputs: list[ValidatedText] | None = None) -> widgets.VBox:
    """A titled box of inputs and one button per action; results and errors go to an Output area."""
    inputs = inputs or []
    output = widgets.Output(layout=widgets.Layout(border="1px solid #ddd", padding="4px"))
    buttons = []
    for label, action in actions.items():
        button = widgets.Button(description=label)
        button.on_click(lambda _button, act=action, name=label: _run(act, name, output))
        buttons.append(button)

    def enable() -> None:
        for button in buttons:
            button.disabled = not all(i.valid for i in inputs)

    for field in inputs:
        field.on_change(enable)
    enable()
    return widgets.VBox([widgets.HTML(f"<b>{html.escape(title)}</b>"), *(i.widget for i in inputs),
                         widgets.HBox(buttons), output])


def _run(action: Callable[[], Any], label: str, output: widgets.Output) -> None:
    # Appending to the Output widget (rather than capturing with `with output:`) also works
    # when a callback fires outside the cell that made the panel.
    output.outputs = ()
    try:
        result = action()
    except Exception as problem:  # shown to the learner, who can fix the input and retry
        output.append_display_data(widgets.HTML(f'<span style="color:#cf222e">{html.escape(label)} failed: '
                                                f"{html.escape(str(problem))}</span>"))
        return
    output.append_display_data(result if result is not None else f"{label}: done")
