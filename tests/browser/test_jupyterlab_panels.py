"""The learner's mode, executed: notebooks 01–03 in JupyterLab with `interactive = True`.

A fresh local cloud and a JupyterLab of their own; Chromium opens each notebook, runs all its
cells from the Run menu, then clicks every button of its widget panels and checks what the
panel shows, and what it did to the cloud. The tests run in file order because each notebook
builds on the previous one's resources, as a learner's series does.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

import mysfits
from mysfits import website
from mysfits.workshop import Workshop

from ..integration.conftest import cli_env, running_cloud
from .labnotebook import GREEN, RED, LabNotebook
from .labserver import (
    LabServer,
    interactive_copy,
    lab_environment,
    start_lab,
    stop_lab,
    workshop_copy,
)

pytestmark = [pytest.mark.browser, pytest.mark.in_order]  # each notebook builds on the one before

NOTEBOOKS = ["01_static_website.ipynb", "02_fargate_service.ipynb", "03_dynamodb.ipynb"]
EXPECT_TIMEOUT_MS = 30_000  # a widget round trip through a busy kernel on a loaded machine
DEFAULT_EXPECT_TIMEOUT_MS = 10_000  # what tests/browser/conftest.py sets for the other tests


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    with running_cloud(tmp_path_factory.mktemp("lab-cloud-home")) as cloud:
        yield cloud


@pytest.fixture(scope="module")
def ws(cloud: dict[str, object]) -> Workshop:
    """The notebooks' workshop (default prefix), to see from outside what the panels did."""
    return mysfits.connect("local", endpoint_url=str(cloud["endpoint_url"]))


@pytest.fixture(scope="module")
def workshop_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The service, site and data the kernels use: a copy, so a test can ship a change."""
    return workshop_copy(tmp_path_factory.mktemp("lab-repo"))


@pytest.fixture(scope="module")
def lab(
    cloud: dict[str, object], workshop_files: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabServer]:
    root, state = tmp_path_factory.mktemp("lab-root"), tmp_path_factory.mktemp("lab-state")
    for notebook in NOTEBOOKS:
        interactive_copy(notebook, root)
    # Kernels inherit the server's environment: they find this cloud and these files.
    base = {
        **cli_env(Path(str(cloud["home"]))),
        "MYSFITS_ENDPOINT_URL": str(cloud["endpoint_url"]),
        "MYSFITS_REPO": str(workshop_files),
    }
    server = start_lab(root, lab_environment(base, state), state)
    yield server
    stop_lab(server)


@pytest.fixture(scope="module")
def lab_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    yield page
    expect.set_options(timeout=DEFAULT_EXPECT_TIMEOUT_MS)
    context.close()


@pytest.fixture(autouse=True)
def screenshot_on_failure(
    request: pytest.FixtureRequest, lab_page: Page, tmp_path: Path
) -> Iterator[None]:
    """A screenshot of JupyterLab when a test failed: what the learner would have seen."""
    failed = request.session.testsfailed
    yield
    if request.session.testsfailed > failed:
        lab_page.screenshot(path=tmp_path / "jupyterlab.png")
        print(f"JupyterLab when the test failed: {tmp_path / 'jupyterlab.png'}")


def open_and_run(page: Page, lab: LabServer, name: str, timeout: float) -> LabNotebook:
    notebook = LabNotebook(page, lab.url, name)
    notebook.open()
    notebook.run_all_cells(timeout)
    return notebook


def test_01_bucket_name_panel_validates_creates_checks_and_deletes(
    lab_page: Page, lab: LabServer, ws: Workshop
) -> None:
    notebook = open_and_run(lab_page, lab, "01_static_website.ipynb", timeout=180)
    expect(notebook.panels()).to_have_count(2)
    panel = notebook.panel("Site bucket")
    assert panel.cut_labels() == []

    message = panel.type_into("Bucket name", "My_Bucket")
    expect(message).to_have_text(f"✘ {refusal('My_Bucket')}")
    expect(message.locator("span")).to_have_css("color", RED)
    for label in ("Create", "Check", "Delete"):
        expect(panel.button(label)).to_be_disabled()

    name = f"mysfits-panel-{uuid.uuid4().hex[:8]}"  # not the site's bucket: Delete must spare it
    message = panel.type_into("Bucket name", name)
    expect(message).to_have_text("✔ valid")
    expect(message.locator("span")).to_have_css("color", GREEN)
    panel.click("Create", f"name='{name}'")
    assert name in bucket_names(ws)
    expect(panel.click("Check", "Block Public Access").locator("b")).to_have_css("color", GREEN)
    panel.click("Delete", "Delete: done")
    assert name not in bucket_names(ws)
    assert ws.names.site_bucket in bucket_names(ws)
    panel.click("Delete", "Delete: nothing to do")


def test_01_public_read_panel_turns_the_site_red_and_back_green(
    lab_page: Page, lab: LabServer
) -> None:
    panel = LabNotebook(lab_page, lab.url, "01_static_website.ipynb").panel("Public read")
    assert panel.cut_labels() == []
    panel.click("Remove public read", "Remove public read: done")
    expect(panel.click("Check the site", "HTTP 403").locator("b")).to_have_css("color", RED)
    panel.click("Restore public read", "s3:GetObject")
    expect(panel.click("Check the site", "HTTP 200").locator("b")).to_have_css("color", GREEN)


def test_02_ship_a_change_panel_pushes_and_releases(
    lab_page: Page, lab: LabServer, ws: Workshop, workshop_files: Path
) -> None:
    notebook = open_and_run(lab_page, lab, "02_fargate_service.ipynb", timeout=300)
    expect(notebook.panels()).to_have_count(1)
    panel = notebook.panel("Ship a change")
    assert panel.cut_labels() == []
    panel.click("Stage states", "'Deploy': 'Succeeded'")
    released = {e["pipelineExecutionId"] for e in pipeline_executions(ws)}
    image = service_image(ws)

    # The learner's change: any edit to what the service's Dockerfile copies is a new source.
    with (workshop_files / "service" / "mysfits_service" / "__init__.py").open("a") as source:
        source.write("# a change shipped from the panel\n")
    # A release takes a build and a rolling deployment: the panel says so, and takes no click.
    panel.click("Push and release", "Push and release: running…")
    expect(panel.button("Stage states")).to_be_disabled()
    shown = panel.shows("pipeline released source version", timeout=240)
    expect(shown.locator("b")).to_have_css("color", GREEN)
    expect(panel.button("Stage states")).to_be_enabled()
    new = [e for e in pipeline_executions(ws) if e["pipelineExecutionId"] not in released]
    assert [e["status"] for e in new] == ["Succeeded"], new
    assert service_image(ws) != image, "the pipeline's Deploy stage did not update the service"
    panel.click("Stage states", "'Deploy': 'Succeeded'")


def test_03_runs_with_interactive_true(lab_page: Page, lab: LabServer) -> None:
    # Notebook 03 has no panel (yet): this proves it still runs in JupyterLab in the learner's mode.
    notebook = open_and_run(lab_page, lab, "03_dynamodb.ipynb", timeout=180)
    expect(notebook.panels()).to_have_count(0)


def refusal(name: str) -> str:
    """The rule the library says `name` breaks."""
    with pytest.raises(ValueError) as refused:
        website.validate_bucket_name(name)
    return str(refused.value)


def bucket_names(ws: Workshop) -> set[str]:
    return {bucket["Name"] for bucket in ws.client("s3").list_buckets()["Buckets"]}


def service_image(ws: Workshop) -> str:
    """The image the service's current task definition runs."""
    ecs = ws.client("ecs")
    services = ecs.describe_services(cluster=ws.names.cluster, services=[ws.names.service])
    arn = services["services"][0]["taskDefinition"]
    definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    return str(definition["containerDefinitions"][0]["image"])


def pipeline_executions(ws: Workshop) -> list[dict[str, object]]:
    executions = ws.client("codepipeline").list_pipeline_executions(pipelineName=ws.names.pipeline)
    return executions["pipelineExecutionSummaries"]
