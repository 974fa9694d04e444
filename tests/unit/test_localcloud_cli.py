"""`doorman local up` and `python -m localcloud` share one entry point and its options."""

from __future__ import annotations

import click
from click.testing import CliRunner

from cli import main as doorman
from localcloud.__main__ import main as localcloud_main
from localcloud.runtime import export_lines
from localcloud.services import local_env


def test_doorman_local_up_is_registered_with_the_same_options():
    local = doorman.get_command(click.Context(doorman), "local")
    assert isinstance(local, click.Group)
    assert local.commands["up"] is localcloud_main
    result = CliRunner().invoke(doorman, ["local", "up", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--moto-port", "--face-port", "--data-dir"):
        assert option in result.output
    own = CliRunner().invoke(localcloud_main, ["--help"])
    assert own.exit_code == 0
    assert all(o in own.output for o in ("--moto-port", "--face-port", "--data-dir"))


def test_exports_point_boto3_at_the_local_services():
    env = local_env("http://127.0.0.1:5000", "http://127.0.0.1:5001")
    lines = export_lines(env)
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:5000" in lines
    assert "export AWS_ENDPOINT_URL_REKOGNITION=http://127.0.0.1:5001" in lines
    assert "export AWS_DEFAULT_REGION=us-east-1" in lines
    assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == "testing"


def test_the_default_data_dir_follows_xdg() -> None:
    from pathlib import Path

    from localcloud.datadir import default_data_dir

    assert default_data_dir({"XDG_DATA_HOME": "/data", "HOME": "/home/u"}) == Path(
        "/data/doorman/localcloud"
    )
    assert default_data_dir({"HOME": "/home/u"}) == Path("/home/u/.local/share/doorman/localcloud")


def test_a_data_dir_that_is_a_file_is_refused_and_kept(tmp_path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("mine")
    result = CliRunner().invoke(localcloud_main, ["--data-dir", str(taken)])
    assert result.exit_code != 0 and "is a file" in result.output
    assert taken.read_text() == "mine"


def test_a_data_dir_in_use_is_refused(tmp_path) -> None:
    from localcloud.datadir import claim

    with claim(tmp_path / "data"):
        result = CliRunner().invoke(localcloud_main, ["--data-dir", str(tmp_path / "data")])
    assert result.exit_code == 1
    assert "is in use by another `doorman local up`" in result.output
