"""Releases: the pushed bundle, versioned pushes, the one source of truth, and release progress."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from mysfits import fargate, images, releases, releasewatch, waiting
from mysfits.errors import ResourceNotFound
from mysfits.names import ResourceNames
from mysfits.stackevents import StackEvents


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "Call")


class FakeS3:
    """A versioned bucket holding one key; `unversioned_puts` writes get no version id first."""

    def __init__(self, versioning: str = "Enabled", unversioned_puts: int = 0) -> None:
        self.versioning, self.unversioned_puts = versioning, unversioned_puts
        self.object: dict[str, Any] | None = None
        self.puts = 0

    def get_bucket_versioning(self, Bucket: str) -> dict[str, Any]:  # noqa: N803
        return {"Status": self.versioning} if self.versioning else {}

    def head_object(self, **_: Any) -> dict[str, Any]:
        if self.object is None:
            raise client_error("404")
        return self.object

    def put_object(self, Metadata: dict[str, str], **_: Any) -> dict[str, Any]:  # noqa: N803
        self.puts += 1
        version = "null" if self.puts <= self.unversioned_puts else f"v{self.puts}"
        self.object = {"VersionId": version, "Metadata": Metadata}
        return {"VersionId": version} if version != "null" else {}


class FakeWorkshop:
    def __init__(self, **clients: Any) -> None:
        self.names, self._clients = ResourceNames("mysfits", "123456789012", "us-east-1"), clients

    def client(self, name: str) -> Any:
        return self._clients[name]


def test_the_bundle_without_settings_builds_the_checkout_under_the_learners_tag() -> None:
    first, second = releases.source_archive(), releases.source_archive()
    assert first == second
    archive = zipfile.ZipFile(io.BytesIO(first))
    names = archive.namelist()
    assert {"service/Dockerfile", "service/buildspec.yml", "data/mysfits.json"} <= set(names)
    assert not any("__pycache__" in n for n in names) and releases.RELEASE_FILE not in names
    assert archive.read(releases.SOURCE_TAG_FILE).decode().strip() == images.source_tag()


def test_settings_are_baked_in_and_name_a_new_image_that_notes_do_not_change() -> None:
    archive = zipfile.ZipFile(io.BytesIO(releases.source_archive({"MYSFITS_RELEASE": "v2"})))
    assert json.loads(archive.read(releases.RELEASE_FILE)) == {"MYSFITS_RELEASE": "v2"}
    tag = archive.read(releases.SOURCE_TAG_FILE).decode().strip()
    assert tag.startswith("src-") and tag != images.source_tag()
    noted = releases.source_archive({"MYSFITS_RELEASE": "v2"}, {"service/RELEASE-NOTES.txt": "x"})
    assert zipfile.ZipFile(io.BytesIO(noted)).read(releases.SOURCE_TAG_FILE).decode().strip() == tag


def test_a_push_merges_settings_into_the_last_release_and_skips_unchanged_bytes() -> None:
    s3 = FakeS3()
    ws = FakeWorkshop(s3=s3)
    first = releases.push_release(ws, MYSFITS_RELEASE="v2")  # type: ignore[arg-type]
    assert first.changed and first.settings == {"MYSFITS_RELEASE": "v2"}
    second = releases.push_release(ws, MYSFITS_TABLE="t")  # type: ignore[arg-type]
    assert second.changed and second.settings == {"MYSFITS_RELEASE": "v2", "MYSFITS_TABLE": "t"}
    again = releases.push_release(ws, MYSFITS_RELEASE="v2")  # type: ignore[arg-type]
    assert not again.changed and again.version_id == second.version_id and s3.puts == 2
    assert again.image_tag == second.image_tag != first.image_tag


def test_a_push_waits_until_s3_versions_the_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        releases, "wait_until", functools.partial(waiting.wait_until, sleep=lambda _: None)
    )
    s3 = FakeS3(unversioned_puts=2)  # just after versioning was first enabled
    push = releases.push_source(FakeWorkshop(s3=s3))  # type: ignore[arg-type]
    assert push.version_id == "v3" and s3.puts == 3


def test_a_push_to_an_unversioned_bucket_says_what_to_run() -> None:
    with pytest.raises(ResourceNotFound, match="ensure_buckets"):
        releases.push_source(FakeWorkshop(s3=FakeS3(versioning="")))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "service, pipeline, kept", [(True, True, True), (True, False, False), (False, True, False)]
)
def test_a_released_service_keeps_what_it_runs(
    monkeypatch: pytest.MonkeyPatch, service: bool, pipeline: bool, kept: bool
) -> None:
    running = {"taskDefinitionArn": "arn:td:3"}
    monkeypatch.setattr(fargate, "current_task_definition", lambda ws: running)
    monkeypatch.setattr(fargate, "service_exists", lambda ws: service)
    monkeypatch.setattr(releases, "pipeline_exists", lambda ws: pipeline)
    monkeypatch.setattr(fargate, "ensure_task_definition", lambda *args, **kwargs: "arn:td:learner")
    chosen = releases.task_definition_to_run(None, None, None)  # type: ignore[arg-type]
    assert chosen == ("arn:td:3" if kept else "arn:td:learner")


class FakePipeline:
    """One execution moving through three stages, and its build's log."""

    def __init__(self) -> None:
        self.stages = {"Source": "InProgress", "Build": "not run", "Deploy": "not run"}
        self.status = "InProgress"

    def get_paginator(self, _: str) -> Any:
        summary = {
            "pipelineExecutionId": "e1",
            "status": self.status,
            "sourceRevisions": [{"revisionId": "v1"}],
        }
        return type(
            "P", (), {"paginate": lambda *_, **__: [{"pipelineExecutionSummaries": [summary]}]}
        )()

    def get_pipeline_state(self, name: str) -> dict[str, Any]:
        def stage(name: str, status: str) -> dict[str, Any]:
            latest = {} if status == "not run" else {"pipelineExecutionId": "e1", "status": status}
            action = {"latestExecution": {"externalExecutionId": "build:1"}} if latest else {}
            return {"stageName": name, "latestExecution": latest, "actionStates": [action]}

        return {"stageStates": [stage(n, s) for n, s in self.stages.items()]}


class FakeBuildLogs:
    def __init__(self) -> None:
        self.lines = ["docker build", "docker push"]

    def batch_get_builds(self, ids: list[str]) -> dict[str, Any]:
        return {"builds": [{"logs": {"groupName": "/aws/codebuild/p", "streamName": "1"}}]}

    def get_log_events(self, nextToken: str | None = None, **_: Any) -> dict[str, Any]:  # noqa: N803
        start = int(nextToken or 0)
        return {
            "events": [{"message": m} for m in self.lines[start:]],
            "nextForwardToken": str(len(self.lines)),
        }


def test_a_release_watch_counts_stages_and_tails_the_build_log() -> None:
    pipeline, logs, written = FakePipeline(), FakeBuildLogs(), []
    ws = FakeWorkshop(codepipeline=pipeline, codebuild=logs, logs=logs)
    watch = releasewatch.ReleaseWatch(ws, releases.Push("v1", "src-1", {}, True), written.append)  # type: ignore[arg-type]
    assert watch.poll() is None and watch.progress().done == 0 and watch.progress().total == 3
    pipeline.stages.update(Source="Succeeded", Build="InProgress")
    assert watch.poll() is None
    assert (watch.progress().done, watch.progress().note) == (1, "Build running")
    logs.lines.append("pushed")
    pipeline.stages.update(Build="Succeeded", Deploy="Succeeded")
    pipeline.status = "Succeeded"
    assert watch.poll() is not None and watch.progress().done == 3
    assert [line for line in written if "build |" in line] == [
        "  build | docker build",
        "  build | docker push",
        "  build | pushed",
    ]
    assert "stage Build: InProgress" in written and "stage Deploy: Succeeded" in written


class FakeCloudFormation:
    exceptions = type("E", (), {"ClientError": ClientError})

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.events = events

    def get_paginator(self, _: str) -> Any:
        events = sorted(self.events, key=lambda e: e["Timestamp"], reverse=True)  # newest first
        return type("P", (), {"paginate": lambda *_, **__: [{"StackEvents": events}]})()


def event(number: int, resource: str, status: str) -> dict[str, Any]:
    return {
        "EventId": str(number),
        "Timestamp": datetime(2025, 1, 1, 0, 0, number, tzinfo=UTC),
        "ResourceStatus": status,
        "LogicalResourceId": resource,
        "ResourceType": "AWS::EC2::VPC",
    }


def test_stack_events_stream_once_each_and_count_settled_resources() -> None:
    cloudformation, written = FakeCloudFormation([event(0, "Old", "CREATE_COMPLETE")]), []
    events = StackEvents(FakeWorkshop(cloudformation=cloudformation), "stack", written.append)  # type: ignore[arg-type]
    cloudformation.events += [
        event(1, "Vpc", "CREATE_IN_PROGRESS"),
        event(2, "Subnet", "CREATE_IN_PROGRESS"),
    ]
    assert len(events.poll()) == 2 and events.progress().done == 0 and events.progress().total == 2
    cloudformation.events.append(event(3, "Vpc", "CREATE_COMPLETE"))
    assert len(events.poll()) == 1 and events.poll() == []
    assert (events.progress().done, events.progress().total) == (1, 2)
    assert [line.split()[1] for line in written] == [
        "CREATE_IN_PROGRESS",
        "CREATE_IN_PROGRESS",
        "CREATE_COMPLETE",
    ]
    assert all("Old" not in line for line in written)


def test_the_wait_bar_shows_the_work_not_the_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[tuple[int, Any, str]] = []

    class Bar:
        def __init__(self, **kwargs: Any) -> None:
            self.n, self.total, self.unit = 0, kwargs.get("total"), kwargs.get("unit", "")

        def __enter__(self) -> Bar:
            return self

        def __exit__(self, *_: Any) -> None:
            return None

        def update(self, count: int) -> None:
            self.n += count
            shown.append((self.n, self.total, self.unit))

        def set_postfix_str(self, *_: Any, **__: Any) -> None:
            return None

        def refresh(self) -> None:
            shown.append((self.n, self.total, self.unit))

    monkeypatch.setattr(waiting, "tqdm", Bar)
    answers, done = iter([None, None, "ok"]), iter([0, 1, 2])
    waiting.wait_until(
        lambda: next(answers),
        what="targets",
        timeout=600,
        sleep=lambda _: None,
        progress=lambda: waiting.Progress(next(done), 2, "healthy targets"),
    )
    assert shown == [
        (0, 2, "healthy targets"),
        (1, 2, "healthy targets"),
        (2, 2, "healthy targets"),
    ]
    shown.clear()
    waiting.wait_until(iter([None, "ok"]).__next__, what="thing", sleep=lambda _: None)
    assert shown == [(1, None, "check"), (2, None, "check")]
