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
@click.option(
    "--services-only",
    is_flag=True,
    help="Only moto and the face service: no Doorman resources, no handler router.",
)
@click.pass_context
def up(
    ctx: click.Context, moto_port: int, face_port: int, data_dir: Path | None, services_only: bool
) -> None:
    """Start the local cloud and print the exports that point boto3 and doorman at it."""
    from localcloud.__main__ import main as localcloud_main

    ctx.invoke(
        localcloud_main,
        moto_port=moto_port,
        face_port=face_port,
        data_dir=data_dir,
        services_only=services_only,
    )


commands = [local]
