"""`python -m localcloud` (`doorman local up`): Doorman's cloud side on 127.0.0.1 until
Ctrl-C or SIGTERM, keeping its data in a data directory across restarts."""

from __future__ import annotations

from pathlib import Path

import click

# Kept light: `--help` (and `doorman local --help`) must not load moto or dlib.
from .datadir import DataDirError, claim, default_data_dir
from .router import DEFAULT_CONCURRENCY


@click.command(name="localcloud")
@click.option("--moto-port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option("--face-port", type=int, default=0, show_default=True, help="0 picks a free port.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep everything here across restarts: buckets, tables, queues (with the frames "
    "not yet analysed), parameters and face collections. "
    "[default: $XDG_DATA_HOME/doorman/localcloud, or ~/.local/share/doorman/localcloud]",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Invocations of each function that run at once, as Lambda's concurrency.",
)
@click.option(
    "--services-only",
    is_flag=True,
    help="Only moto and the face service: no Doorman resources, no handler router.",
)
def main(
    moto_port: int, face_port: int, data_dir: Path | None, concurrency: int, services_only: bool
) -> None:
    """Run Doorman's cloud side on 127.0.0.1: moto, the Rekognition-compatible face service,
    the same resources the stack creates, and the router that feeds queues to the handlers."""
    directory = data_dir or default_data_dir()
    try:
        lock = claim(directory)
    except DataDirError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"# Data: {directory} (kept across restarts; --data-dir chooses another)")
    with lock:
        try:
            _run(moto_port, face_port, directory, concurrency, services_only)
        except RuntimeError as exc:  # a service that would not start has said why
            raise click.ClickException(str(exc)) from exc


def _run(
    moto_port: int, face_port: int, data_dir: Path, concurrency: int, services_only: bool
) -> None:
    if services_only:
        from .runtime import run_services

        run_services(moto_port, face_port, data_dir, own_processes=True)
        return
    from .cloud import run_cloud
    from .provision import LocalConfig

    run_cloud(moto_port, face_port, data_dir, LocalConfig(concurrency=concurrency))


if __name__ == "__main__":
    main()
