"""assets/doorman.service: valid for systemd, runs real `doorman` commands, gives SIGTERM time
to drain, and holds no credential."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from cli.watch import DRAIN_TIMEOUT_SECONDS
from edge_agent.config import load_config

UNIT = Path(__file__).resolve().parents[3] / "assets" / "doorman.service"
AGENT = "/opt/doorman/.venv/bin/doorman"


def directives() -> dict[str, list[str]]:
    """`Key=value` lines of the unit (comments skipped); a key may repeat."""
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.parametrize("key", ["ExecStartPre", "ExecStart"])
def test_commands_are_doorman_commands_with_options_it_knows(key: str) -> None:
    [command] = directives()[key]
    binary, *args = command.split()
    assert binary == AGENT
    # Unknown options fail click's parsing before the eager --help is handled.
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output


def test_sigterm_stops_it_with_time_to_drain_uploads() -> None:
    unit = directives()
    assert unit["KillSignal"] == ["SIGTERM"]
    assert float(unit["TimeoutStopSec"][0]) > DRAIN_TIMEOUT_SECONDS  # no SIGKILL mid-drain
    assert unit["Restart"] == ["on-failure"]
    assert unit["User"] != ["root"]


def test_its_environment_is_valid_config_and_the_spool_survives_restarts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unit = directives()
    for assignment in unit["Environment"]:
        name, value = assignment.split("=", 1)
        monkeypatch.setenv(name, value)
    config = load_config()  # raises ConfigError naming any misspelt DOORMAN_* key
    state = Path("/var/lib") / unit["StateDirectory"][0]
    assert config.spool.dir.is_relative_to(state)


def test_no_credentials_in_the_unit() -> None:
    active = "\n".join(f"{key}={value}" for key, values in directives().items() for value in values)
    assert not re.search(r"AWS_(ACCESS_KEY|SECRET|SESSION)|PASSWORD|aws_secret", active, re.I)
    assert directives()["EnvironmentFile"] == ["-/etc/doorman/camera.env"]


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = tmp_path / "doorman.service"
    unit.write_text(UNIT.read_text().replace(AGENT, "/bin/true"))  # the agent is not installed
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
