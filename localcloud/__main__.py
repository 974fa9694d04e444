"""`python -m localcloud` (`doorman local up`): Doorman's cloud side on 127.0.0.1 until
Ctrl-C or SIGTERM."""

from __future__ import annotations

from pathlib import Path

import click


@click.command(name="localcloud")
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
def main(moto_port: int, face_port: int, data_dir: Path | None, services_only: bool) -> None:
    """Run Doorman's cloud side on 127.0.0.1: moto, the Rekognition-compatible face service,
    the same resources the stack creates, and the router that feeds queues to the handlers."""
    # Imported here, so `--help` (and `doorman local --help`) does not load moto or dlib.
    if services_only:
        from .runtime import run_services

        run_services(moto_port, face_port, data_dir)
        return
    from .cloud import run_cloud

    run_cloud(moto_port, face_port, data_dir)


if __name__ == "__main__":
    main()
