"""The X-Mysfits-Release header and the settings a release bakes into the image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mysfits_service import config
from mysfits_service.app import create_app
from mysfits_service.config import ConfigError, Settings, baked_environment

from .conftest import DATA_FILE


def test_no_release_no_header(file_client: TestClient) -> None:
    assert "x-mysfits-release" not in file_client.get("/mysfits").headers


def test_every_answer_names_the_release_errors_included() -> None:
    with TestClient(create_app(Settings(data_file=str(DATA_FILE), release="v2"))) as client:
        assert client.get("/mysfits").headers["x-mysfits-release"] == "v2"
        missing = client.get("/mysfits/00000000-0000-0000-0000-000000000000")
        assert missing.status_code == 404 and missing.headers["x-mysfits-release"] == "v2"


def test_baked_settings_are_defaults_under_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    baked = tmp_path / "release.json"
    baked.write_text(json.dumps({"MYSFITS_RELEASE": "v2", "MYSFITS_TABLE": "Baked"}))
    monkeypatch.setattr(config, "RELEASE_FILE", baked)
    monkeypatch.setenv("MYSFITS_TABLE", "FromTheTaskDefinition")
    settings = Settings.from_env()
    assert settings.release == "v2" and settings.table == "FromTheTaskDefinition"


def test_no_baked_file_means_no_baked_settings(tmp_path: Path) -> None:
    assert baked_environment(tmp_path / "absent.json") == {}
    assert not config.RELEASE_FILE.exists(), "the checkout must never hold a release file"


@pytest.mark.parametrize("text", ["not json", "[1, 2]", '{"MYSFITS_RELEASE": 2}'])
def test_a_bad_baked_file_is_a_config_error(tmp_path: Path, text: str) -> None:
    baked = tmp_path / "release.json"
    baked.write_text(text)
    with pytest.raises(ConfigError, match="release.json"):
        baked_environment(baked)
