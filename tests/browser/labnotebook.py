"""Driving a notebook in JupyterLab as a learner does: open it, Run All Cells, click its panels.

Every wait is on a condition with its own timeout and a message naming what did not happen.
"""

from __future__ import annotations

import requests
from playwright.sync_api import Locator, Page, expect

RED = "rgb(207, 34, 46)"  # #cf222e, the colour of a failed check and of a refused input
GREEN = "rgb(26, 127, 55)"  # #1a7f37, the colour of a passed check and of a valid input
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


class LabNotebook:
    """One notebook open in JupyterLab, in `page`."""

    def __init__(self, page: Page, lab_url: str, name: str):
        self.page = page
        self.name = name
        self.lab_url = lab_url
        self.root = page.locator(".jp-NotebookPanel")

    def open(self, timeout: float = 120) -> None:
        """Open the notebook alone (`reset` drops earlier tabs) and wait for its kernel."""
        self.page.goto(f"{self.lab_url}/lab/tree/{self.name}?reset")
        # The notebook renders its cells in batches: wait for all of them.
        expect(
            self.root.locator(".jp-Notebook-cell"), f"{self.name} did not show all its cells"
        ).to_have_count(self.cell_count(), timeout=timeout * 1000)
        self.wait_for_idle_kernel(timeout)

    def cell_count(self) -> int:
        """How many cells the notebook file has, as the server reads it."""
        response = requests.get(f"{self.lab_url}/api/contents/{self.name}", timeout=30)
        response.raise_for_status()
        return len(response.json()["content"]["cells"])

    def wait_for_idle_kernel(self, timeout: float) -> None:
        # The status bar names the kernel only once it is connected (the toolbar's indicator
        # says "idle" before a kernel even starts).
        status = self.page.locator("#jp-main-statusbar")
        expect(
            status, f"the kernel of {self.name} did not become idle within {timeout:.0f} s"
        ).to_contain_text("(ipykernel) | Idle", timeout=timeout * 1000)

    def run_all_cells(self, timeout: float) -> None:
        """Run → Run All Cells; wait until it stops; every code cell must have run, in order."""
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        prompts = self.root.locator(".jp-CodeCell .jp-InputPrompt")
        # Run All marks every cell [*] at once; none left means it finished or stopped at an error.
        expect(
            prompts.filter(has_text="[*]"),
            f"{self.name}: Run All Cells did not finish within {timeout:.0f} s",
        ).to_have_count(0, timeout=timeout * 1000)
        self.wait_for_idle_kernel(timeout)
        shown = [text.strip() for text in prompts.all_inner_texts()]
        expected = [f"[{n}]:" for n in range(1, len(shown) + 1)]
        assert shown == expected, (
            f"{self.name}: not every cell ran, in order: {shown}\n{self.errors()}"
        )

    def errors(self) -> str:
        """The text of the error outputs (tracebacks) in the notebook, for failure messages."""
        return "\n".join(self.root.locator(ERROR_OUTPUT).all_inner_texts())[-4000:]

    def panel(self, title: str) -> Panel:
        """The widget panel (`mysfits.ui.panel`) titled `title`."""
        heading = self.page.locator(".widget-html-content b", has_text=title)
        return Panel(self.root.locator(".widget-vbox").filter(has=heading).first, title)

    def panels(self) -> Locator:
        """Every widget panel in the notebook: the boxes not inside another box."""
        return self.root.locator(".widget-vbox:not(.widget-vbox .widget-vbox)")


class Panel:
    """A `mysfits.ui.panel` as rendered: inputs with their messages, buttons, an output area."""

    def __init__(self, root: Locator, title: str):
        self.root = root
        self.title = title
        self.output = root.locator(".widget-output")

    def button(self, label: str) -> Locator:
        return self.root.locator("button.widget-button", has_text=label)

    def click(self, label: str, shows: str, timeout: float = 30) -> Locator:
        """Click `label`; wait until the output area shows `shows` in a new output; that output."""
        # Mark what is shown now: the action replaces it, so only a new output can satisfy the wait.
        self.output.locator(".jp-OutputArea-child").evaluate_all(
            "children => children.forEach(child => child.dataset.before = 'yes')"
        )
        self.button(label).click()
        return self.shows(shows, f"{label!r} did not show", timeout)

    def shows(self, text: str, what: str = "did not show", timeout: float = 30) -> Locator:
        """Wait until the output area shows `text` in an output newer than the last click."""
        fresh = self.output.locator(".jp-OutputArea-child:not([data-before])").filter(has_text=text)
        expect(
            fresh.first, f"panel {self.title!r}: {what} {text!r} within {timeout:.0f} s"
        ).to_be_visible(timeout=timeout * 1000)
        return fresh.first

    def type_into(self, label: str, value: str) -> Locator:
        """Replace the text of the input labelled `label`; the message under it."""
        field = self.root.locator(".widget-text").filter(has_text=label)
        field.locator("input").fill(value)
        return field.locator("xpath=following-sibling::*[contains(@class, 'widget-html')][1]")

    def cut_labels(self) -> list[str]:
        """The labels of buttons too narrow to show them whole."""
        return self.root.locator("button.widget-button").evaluate_all(
            "buttons => buttons.filter(b => b.scrollWidth > b.clientWidth).map(b => b.textContent)"
        )
