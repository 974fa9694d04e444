"""`doorman` imports a command's module only when that command is resolved, and its table of
commands matches the commands the cli modules define."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import click
import pytest

from cli import COMMANDS, main

COMMAND_MODULES = ("watch", "push", "gallery", "ops", "local", "demo", "strangers")
HEAVY = ("edge_agent", "ops", "localcloud", "functions", "cv2", "boto3", "dlib")

# Runs `doorman ARGS...` and prints, as its last line, the heavy packages it imported.
PROBE = f"""
import json, sys
from cli import main
try:
    main(sys.argv[1:], prog_name="doorman")
except SystemExit:
    pass
loaded = {{name.partition(".")[0] for name in sys.modules}}
print(json.dumps(sorted(loaded & set({list(HEAVY)!r}))))
"""


def doorman(*args: str) -> tuple[str, set[str]]:
    """The output of `doorman ARGS` in a fresh interpreter, and the heavy packages it loaded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    *output, loaded = done.stdout.rstrip("\n").split("\n")
    return "\n".join(output), set(json.loads(loaded))


def real_commands() -> dict[str, tuple[str, click.Command]]:
    """name -> ("module:attribute", command) for every command the cli modules define."""
    found: dict[str, tuple[str, click.Command]] = {}
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(f"cli.{module_name}")
        attributes = {id(value): name for name, value in vars(module).items()}
        for command in module.commands:
            assert command.name is not None
            assert command.name not in found, f"{command.name} is defined twice"
            found[command.name] = (f"cli.{module_name}:{attributes[id(command)]}", command)
    return found


def test_help_lists_every_command_without_importing_any() -> None:
    output, loaded = doorman("--help")
    assert loaded == set()
    for name in COMMANDS:
        assert f"\n  {name} " in output


def test_watch_loads_the_edge_agent_but_not_the_operator_tools_or_localcloud() -> None:
    output, loaded = doorman("watch", "--help")
    assert "Usage: doorman watch" in output
    assert "edge_agent" in loaded
    assert not loaded & {"localcloud", "ops", "functions"}


def test_the_table_names_every_command_where_it_lives_with_its_short_help() -> None:
    real = real_commands()
    assert sorted(COMMANDS) == sorted(real)
    for name, (target, command) in real.items():
        assert COMMANDS[name].target == target, name
        assert COMMANDS[name].short_help == command.get_short_help_str(limit=1000), name
        assert COMMANDS[name].load() is command


@pytest.mark.parametrize("width", [80, 60, 200])
def test_help_lays_out_commands_as_an_eagerly_loaded_group_would(width: int) -> None:
    eager = click.Group("doorman", commands=[command for _, command in real_commands().values()])

    def commands_section(group: click.Group) -> str:
        formatter = click.HelpFormatter(width=width)
        group.format_commands(click.Context(group), formatter)
        return formatter.getvalue()

    assert commands_section(main) == commands_section(eager)


def test_an_unknown_command_is_refused() -> None:
    ctx = click.Context(main)
    assert main.get_command(ctx, "no-such-command") is None
