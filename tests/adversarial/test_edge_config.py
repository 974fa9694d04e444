"""A camera id becomes a folder name and an S3 key segment (`frames/<camera_id>/...`), so
`..`, `.` or anything that is not one safe segment must stop the agent at start, with the key
named and exit 2, wherever the id comes from: the TOML file, `DOORMAN_CAMERA_ID` or the
`--camera-id` flag."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

PATH_TRICKS = ["..", ".", "../../etc", "door/../..", "a/b", "a\\b", "./door", " ", "door\n"]


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("DOORMAN_"):
            monkeypatch.delenv(name)


def _assert_refused_naming_the_key(result) -> None:
    assert result.exit_code == 2, result.output
    assert "config error:" in result.stderr
    assert "camera_id: must be one safe path segment" in result.stderr


@pytest.mark.parametrize("camera_id", PATH_TRICKS)
def test_check_config_refuses_a_path_trick_from_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, camera_id: str
) -> None:
    _clean_env(monkeypatch)
    config = tmp_path / "doorman.toml"
    config.write_text(f"camera_id = {json.dumps(camera_id)}\n")  # JSON strings are TOML strings
    result = CliRunner().invoke(main, ["check-config", "--config", str(config)])
    _assert_refused_naming_the_key(result)


@pytest.mark.parametrize("camera_id", PATH_TRICKS)
def test_check_config_refuses_a_path_trick_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, camera_id: str
) -> None:
    _clean_env(monkeypatch)
    result = CliRunner().invoke(main, ["check-config"], env={"DOORMAN_CAMERA_ID": camera_id})
    _assert_refused_naming_the_key(result)


@pytest.mark.parametrize("source", ["flag", "environment"])
def test_watch_refuses_camera_id_dot_dot_before_writing_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    _clean_env(monkeypatch)
    out = tmp_path / "events"
    args = ["watch", "clip.mp4", "--dry-run", str(out)]
    env = {}
    if source == "flag":
        args += ["--camera-id", ".."]
    else:
        env["DOORMAN_CAMERA_ID"] = ".."
    result = CliRunner().invoke(main, args, env=env)
    _assert_refused_naming_the_key(result)
    assert not out.exists()
