"""`doorman gallery sync`: copy the enrolled photos of the faces bucket to the edge."""

from __future__ import annotations

from pathlib import Path

import click

from adapters.clients import aws_client
from adapters.storage import Storage
from cli.common import configure_logging, load_or_exit, printable
from edge_agent.gallery_sync import GallerySyncError, sync_gallery


@click.group("gallery")
def gallery() -> None:
    """The local gallery used for on-device recognition."""


@gallery.command("sync")
@click.option("--bucket", help="Faces bucket (default: gallery.bucket).")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Gallery folder (default: gallery.dir).",
)
@click.option("--prefix", default="", help="Only sync keys under this prefix.")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
def sync(bucket: str | None, directory: Path | None, prefix: str, config_path: Path | None) -> None:
    """Download enrolled photos into DIR/<person_id>/*.jpg; remove those deleted upstream.

    Runs again cheaply: unchanged photos (same ETag) are not downloaded twice.
    """
    configure_logging("WARNING")
    config = load_or_exit(config_path)
    bucket = bucket or config.gallery.bucket
    if not bucket:
        raise click.UsageError("no faces bucket: pass --bucket or set gallery.bucket")
    directory = directory or config.gallery.dir
    try:
        report = sync_gallery(Storage(aws_client("s3")), bucket, directory, prefix=prefix)
    except GallerySyncError as error:
        raise click.ClickException(printable(error)) from None
    click.echo(
        printable(
            f"gallery {directory}: {len(report.people)} people, {report.downloaded} downloaded, "
            f"{report.unchanged} unchanged, {report.removed} removed"
        )
    )
    for reason, count in sorted(report.skipped.items()):
        click.echo(printable(f"  skipped {count}: {reason}"))


commands = [gallery]
