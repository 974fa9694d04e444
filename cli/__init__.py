"""The `doorman` command line. Each command family lives in its own module."""

from __future__ import annotations

import importlib

import click

# Modules that contribute commands; each exposes `commands: list[click.Command]`.
_COMMAND_MODULES = ("push", "gallery", "local", "ops", "watch", "demo")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="doorman")
def main() -> None:
    """Doorman: who is at the door, without 400 useless pictures a day."""


for _name in _COMMAND_MODULES:
    for _command in importlib.import_module(f"cli.{_name}").commands:
        main.add_command(_command)
