"""`doorman local ...`: the local cloud (moto + the face service) on this machine."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def local() -> None:
    """Run Doorman's cloud side locally (moto and the Rekognition-compatible face service)."""


@local.command()
@click.option("--moto-port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option("--face-port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep face collections here across restarts (default: in memory).",
)
def up(moto_port: int, face_port: int, data_dir: Path | None) -> None:
    """Start the local services and print the AWS_ENDPOINT_URL exports; Ctrl-C stops them."""
    from localcloud.__main__ import run_services

    run_services(moto_port, face_port, data_dir)


commands = [local]
