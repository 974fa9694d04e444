"""`doorman local ...`: the local cloud (moto, the face service, the stack's resources and
the handler router) on this machine. `doorman local up` is `python -m localcloud`: the same
click command, so the two cannot drift apart."""

from __future__ import annotations

import click

from localcloud.__main__ import main as localcloud_main


@click.group()
def local() -> None:
    """Run Doorman's cloud side locally (moto and the Rekognition-compatible face service)."""


local.add_command(localcloud_main, name="up")

commands = [local]
