"""The `doorman` command line: a thin click group that imports a command's module only when
that command is resolved.

`doorman --help` lists every command from the table below without importing any of them, and
`doorman watch` loads the edge agent but never the operator tools or localcloud. Each command
family lives in its own module (cli/watch.py, cli/ops.py, ...), which exposes
`commands: list[click.Command]`; tests/unit/test_cli_lazy.py checks that the table matches
those lists (same names, same short help).
"""

from __future__ import annotations

import importlib
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import click


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives ("module:attribute") and the short help `--help` lists for it."""

    target: str
    short_help: str

    def load(self) -> click.Command:
        module_name, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


COMMANDS: dict[str, LazyCommand] = {
    "arm": LazyCommand("cli.ops:arm", "Arm: strangers and alarm labels alert again."),
    "check-camera": LazyCommand(
        "cli.ops:check_camera_command",
        "How good CAMERA's faces are for recognition, why not, and what to change.",
    ),
    "check-config": LazyCommand(
        "cli.watch:check_config",
        "Validate the config file and DOORMAN_* overrides; print the result.",
    ),
    "cost": LazyCommand(
        "cli.ops:cost_command",
        "Monthly AWS cost estimate per service, with the unit prices used.",
    ),
    "correct": LazyCommand(
        "cli.strangers:correct_command",
        "Correct face N of EVENT: --not NAME (never name such a face NAME) or --is NAME.",
    ),
    "demo": LazyCommand(
        "cli.demo:demo",
        "Run the whole pipeline locally on generated scenes and print who was seen.",
    ),
    "disarm": LazyCommand(
        "cli.ops:disarm",
        "Disarm: strangers are recorded but not alerted; barred people still alert.",
    ),
    "enroll": LazyCommand(
        "cli.ops:enroll", "Enroll PHOTOS of one person: tagged uploads to the faces bucket."
    ),
    "events": LazyCommand(
        "cli.ops:events_command",
        "List events: time, camera, who, severity, whether an alert went out.",
    ),
    "forget": LazyCommand(
        "cli.ops:forget_command",
        "Erase NAME everywhere: faces, photos (all versions), People, sightings and frames.",
    ),
    "gallery": LazyCommand(
        "cli.gallery:gallery", "The local gallery used for on-device recognition."
    ),
    "local": LazyCommand(
        "cli.local:local",
        "Run Doorman's cloud side locally (moto and the Rekognition-compatible face service).",
    ),
    "mode": LazyCommand(
        "cli.ops:mode_command",
        "Show or set the mode the alert rules match on: home, away or night.",
    ),
    "merge": LazyCommand(
        "cli.strangers:merge_command",
        "Join A into B: two strangers, a stranger and a person, or two people.",
    ),
    "name": LazyCommand(
        "cli.strangers:name_command",
        "Name STRANGER: its stored face crops are enrolled as NAME (tagged uploads).",
    ),
    "people": LazyCommand(
        "cli.ops:people_command",
        "List enrolled people: watchlist, photos, faces and when they were last seen.",
    ),
    "push": LazyCommand(
        "cli.push:push",
        "Push SOURCE (rtsp:// URL, video file or /dev/videoN) to a KVS stream via kvssink.",
    ),
    "report": LazyCommand(
        "cli.ops:report_command",
        "Write a static HTML report (timeline, thumbnails, filters, chart) to --out DIR.",
    ),
    "rules": LazyCommand(
        "cli.ops:rules_group",
        "The alert rules: who is told about whom, at which camera, when and in which mode.",
    ),
    "strangers": LazyCommand(
        "cli.strangers:strangers_command",
        "List remembered strangers: id, sightings, first and last seen, cameras.",
    ),
    "search": LazyCommand(
        "cli.strangers:search_command",
        "Every sighting of the face in PHOTO: camera, time, similarity and frame.",
    ),
    "stream": LazyCommand(
        "cli.ops:stream", "The optional streaming path's Rekognition stream processors."
    ),
    "watch": LazyCommand(
        "cli.watch:watch",
        "Watch SOURCE (video file, rtsp:// URL or USB index) and upload one frame per person.",
    ),
}


class LazyGroup(click.Group):
    """A click group whose commands come from a table of `LazyCommand`s, imported on use."""

    def __init__(self, *args: Any, lazy_commands: Mapping[str, LazyCommand], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy_commands)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy_commands.get(cmd_name)
        return entry.load() if entry is not None else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The "Commands" section from the table, laid out as click lays out loaded ones."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)  # click's own spacing
        rows = [(name, _shorten(self.lazy_commands[name].short_help, limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a word boundary, as click cuts short help."""
    if len(text) <= limit:
        return text
    return textwrap.shorten(text, limit, placeholder="...", break_on_hyphens=False)


@click.group(
    cls=LazyGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="doorman")
def main() -> None:
    """Doorman: who is at the door, without 400 useless pictures a day."""
