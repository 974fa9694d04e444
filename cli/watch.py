"""`doorman watch` (run the agent on a camera or a file) and `doorman check-config`."""

from __future__ import annotations

import json
import logging
import os
import signal
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cli.common import configure_logging, load_or_exit, plain, printable
from edge_agent.assembly import (
    CAMERA_PASSWORD_ENV,
    CAMERA_USER_ENV,
    build_detector,
    build_pipeline,
    build_recognizer,
    with_camera_credentials,
)
from edge_agent.config import AgentConfig, FacesConfig
from edge_agent.events import EventSink
from edge_agent.pipeline import Frame, Pipeline

if TYPE_CHECKING:
    from edge_agent.sources import FrameReader

log = logging.getLogger("edge_agent.watch")

DEFAULT_DRY_RUN_DIR = "doorman-dry-run"
DRAIN_TIMEOUT_SECONDS = 30.0
EXIT_SOURCE = 3


@contextmanager
def _stop_on_signals(pipeline: Pipeline, source: Any) -> Iterator[None]:
    """SIGTERM/SIGINT: finish the current frame, flush tracks, drain uploads, exit 0."""

    def stop(signum: int, _frame: object) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        pipeline.stop_requested.set()
        interrupt = getattr(source, "interrupt", None)  # live sources: stop waiting for frames
        if interrupt is not None:
            interrupt()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run_with_progress(pipeline: Pipeline, source: Any, show: bool) -> None:
    total = getattr(source, "total_frames", None)
    if not show or getattr(source, "live", False):
        pipeline.run()
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("events {task.fields[events]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task("frames", total=total, events=0)

        def advance(frame: Frame) -> None:
            # The frame's number in the video: frames between keyframes may go undecoded.
            progress.update(task, completed=frame.index + 1, events=pipeline.stats.events)

        pipeline.run(on_frame=advance)
        covered = source.stats.frames + getattr(source.stats, "skipped", 0)
        # flush() may add the last events; an undecoded tail still counts as read.
        progress.update(task, completed=covered, events=pipeline.stats.events)


def summary_of(
    pipeline: Pipeline, source: Any, seconds: float, delivery: dict[str, int]
) -> dict[str, Any]:
    stats = asdict(pipeline.stats)
    source_stats = asdict(source.stats)
    skipped = source_stats.get("skipped", 0)
    limit = getattr(source, "limit", None)  # --max-frames: skipped frames past it do not count
    if limit is not None:
        skipped = max(0, min(skipped, limit - stats["frames"]))
    return {
        "frames": stats["frames"] + skipped,  # of the video, decoded or not
        "decoded_frames": stats["frames"],
        "skipped_frames": skipped,  # never decoded: between keyframes while quiet
        "motion_frames": stats["motion_frames"],
        "faces": stats["faces"],
        "tracks": stats["tracks"],
        "events": stats["events"],
        "face_events": stats["face_events"],
        "motion_events": stats["motion_events"],
        "withheld": stats["withheld"],
        "reported_together": stats["reported_together"],  # in another track's frame
        "uploads": delivery.get("uploads", 0),
        "dropped": source_stats["dropped"],
        "evicted": delivery.get("evicted", 0),
        "disk_full_drops": delivery.get("disk_full_drops", 0),
        "corrupt_frames": source_stats["corrupt"],
        "reconnects": source_stats["reconnects"],
        "recalibrations": stats["recalibrations"],
        "detector_runs": stats["detector_runs"],
        "seconds": round(seconds, 3),
        "fps": round((stats["frames"] + skipped) / seconds, 2) if seconds > 0 else 0.0,
    }


def _print_summary(summary: dict[str, Any]) -> None:
    table = Table(title="doorman watch", show_header=True)
    table.add_column("counter")
    table.add_column("value", justify="right")
    for key, value in summary.items():
        table.add_row(key.replace("_", " "), plain(value))
    Console().print(table)


@click.command("watch")
@click.argument("source", required=False)
@click.option("--camera-id", help="Camera name used in keys and metadata (config: camera_id).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DOORMAN_CONFIG",
    help="TOML config file (see assets/doorman.example.toml).",
)
@click.option(
    "--dry-run",
    "dry_run",
    is_flag=False,
    flag_value=DEFAULT_DRY_RUN_DIR,
    default=None,
    metavar="[DIR]",
    help=f"Write events to DIR (default ./{DEFAULT_DRY_RUN_DIR}) instead of S3.",
)
@click.option("--max-frames", type=click.IntRange(min=1), help="Stop after this many frames.")
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the final counters to this JSON file.",
)
@click.option("--progress/--no-progress", default=True, help="Progress bar for files.")
@click.option("--log-level", default="INFO", show_default=True)
def watch(
    source: str | None,
    camera_id: str | None,
    config_path: Path | None,
    dry_run: str | None,
    max_frames: int | None,
    summary_json: Path | None,
    progress: bool,
    log_level: str,
) -> None:
    """Watch SOURCE (video file, rtsp:// URL or USB index) and upload one frame per person.

    Camera passwords go in DOORMAN_CAMERA_USER / DOORMAN_CAMERA_PASSWORD, never in the URL
    on the command line. AWS credentials come from the default chain.
    """
    configure_logging(log_level)
    overrides: dict[str, Any] = {}
    if camera_id:
        overrides["camera_id"] = camera_id
    config = load_or_exit(config_path, overrides)
    if source is None and dry_run is not None and Path(dry_run).is_file():
        # `watch --dry-run clip.mp4`: the optional DIR swallowed the video; give it back.
        source, dry_run = dry_run, DEFAULT_DRY_RUN_DIR
    if dry_run is None and not config.upload.bucket:
        raise click.UsageError(
            "upload.bucket is not set (config or DOORMAN_UPLOAD__BUCKET); or use --dry-run"
        )
    if source is None and config.cameras:
        _watch_cameras(config, dry_run, summary_json)
        return
    spec = source or config.source
    if not spec:
        raise click.UsageError("give SOURCE, or set `source` or `[[cameras]]` in the config file")
    if source and "@" in urllib.parse.urlsplit(source).netloc:
        log.warning(
            "camera credentials on the command line are visible to every user; "
            f"use {CAMERA_USER_ENV}/{CAMERA_PASSWORD_ENV}"
        )

    from edge_agent.sources import SourceError, open_source

    frames: FrameReader | _Limited
    try:
        frames = open_source(with_camera_credentials(spec, os.environ), config.capture)
    except SourceError as exc:
        click.echo(printable(f"source error: {exc}"), err=True)
        raise SystemExit(EXIT_SOURCE) from None
    if max_frames is not None:
        frames = _Limited(frames, max_frames)

    from edge_agent.yunet import WeightsError

    try:
        detector = build_detector(config.faces)
    except WeightsError as exc:
        frames.close()
        click.echo(printable(f"config error: {exc}"), err=True)
        raise SystemExit(2) from None
    sink, finish = _open_sink(config, dry_run)
    pipeline = build_pipeline(config, frames, sink, build_recognizer(config), detector)
    started = time.monotonic()
    log.info("watching", extra={"camera_id": config.camera_id, "dry_run": dry_run is not None})
    try:
        with _stop_on_signals(pipeline, frames):
            _run_with_progress(pipeline, frames, progress)
    finally:
        frames.close()
        delivery = finish()
    summary = summary_of(pipeline, frames, time.monotonic() - started, delivery)
    _print_summary(summary)
    if summary_json is not None:
        summary_json.write_text(json.dumps(summary, indent=2))


def _watch_cameras(config: AgentConfig, dry_run: str | None, summary_json: Path | None) -> None:
    """Every camera of `[[cameras]]`, one thread each, into one spool and uploader."""
    from edge_agent.cameras import MultiCameraAgent
    from edge_agent.sources import open_source
    from edge_agent.yunet import WeightsError

    def open_camera(spec: str, camera: AgentConfig) -> Any:
        return open_source(with_camera_credentials(spec, os.environ), camera.capture)

    try:
        detectors = {faces: build_detector(faces) for faces in _faces_of(config)}
    except WeightsError as exc:
        click.echo(printable(f"config error: {exc}"), err=True)
        raise SystemExit(2) from None
    sink, finish = _open_sink(config, dry_run)
    agent = MultiCameraAgent(
        config, sink, open_camera, build_recognizer(config), lambda view: detectors[view.faces]
    )
    started = time.monotonic()
    log.info("watching", extra={"cameras": [c.id for c in config.cameras]})

    def stop(signum: int, _frame: object) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        agent.stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        reports = agent.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        delivery = finish()
    seconds = time.monotonic() - started
    cameras = {
        r.camera_id: {**asdict(r.pipeline), **r.source, "starts": r.starts, "failures": r.failures}
        for r in reports
    }
    summary = {
        "cameras": cameras,
        "events": sum(r.pipeline.events for r in reports),
        **delivery,
        "seconds": round(seconds, 3),
    }
    shown = ("frames", "skipped", "motion_frames", "events", "reconnects", "failures")
    rows = {
        f"{camera} {key}": counters.get(key, 0)
        for camera, counters in summary["cameras"].items()
        for key in shown
    }
    _print_summary(rows | {key: value for key, value in summary.items() if key != "cameras"})
    if summary_json is not None:
        summary_json.write_text(json.dumps(summary, indent=2))


def _faces_of(config: AgentConfig) -> list[FacesConfig]:
    """The distinct face settings of the cameras (one detector each; models are shared)."""
    views = [config.for_camera(camera).faces for camera in config.cameras]
    return list(dict.fromkeys(views))


def _open_sink(config: AgentConfig, dry_run: str | None) -> tuple[EventSink, Any]:
    """The sink and a `finish() -> {uploads, evicted, disk_full_drops}` to call at the end."""
    if dry_run is not None:
        from edge_agent.folder_sink import FolderSink

        folder = FolderSink(Path(dry_run))
        click.echo(printable(f"dry run: events go to {folder.directory}"), err=True)
        return folder, lambda: {
            "uploads": 0,
            "evicted": 0,
            "disk_full_drops": folder.disk_full_drops,
        }

    from edge_agent.spool import Spool
    from edge_agent.uploader import Uploader

    spool = Spool(config.spool.dir, config.spool.max_bytes)
    uploader = Uploader.from_config(spool, config.upload)  # the bucket was checked at start
    uploader.start()
    from edge_agent import verdicts

    # The device's verdict queue (local actions, MQTT), while it uploads; off without one.
    stop_verdicts = verdicts.start(config.verdicts, config.upload.region)

    def finish() -> dict[str, int]:
        if stop_verdicts is not None:
            stop_verdicts()
        drained = uploader.stop(drain_timeout=DRAIN_TIMEOUT_SECONDS)
        if not drained:
            log.warning(
                "uploads left in the spool for the next start", extra={"pending": len(spool)}
            )
        return {
            "uploads": uploader.uploaded,
            "evicted": sum(spool.evicted.values()),
            "disk_full_drops": sum(spool.disk_full_drops.values()),
        }

    return spool, finish


class _Limited:
    """Stops a source after n frames (tests, benchmarks)."""

    def __init__(self, source: FrameReader, limit: int) -> None:
        self._source, self._left, self.limit = source, limit, limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._source, name)

    def read(self) -> Frame | None:
        """Frames numbered below the limit (the video's numbering: some are not decoded)."""
        frame = self._source.read() if self._left > 0 else None
        if frame is None or frame.index >= self.limit:
            self._left = 0
            return None
        return frame


@click.command("check-config")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DOORMAN_CONFIG",
)
def check_config(config_path: Path | None) -> None:
    """Validate the config file and DOORMAN_* overrides; print the result."""
    config = load_or_exit(config_path)
    click.echo(json.dumps(config.model_dump(mode="json"), indent=2))
    click.echo("config OK", err=True)


commands = [watch, check_config]
