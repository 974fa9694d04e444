"""`doorman watch` when the spool's disk is full: it keeps running and exits 0, keeps the
newest face events, counts every event it had to drop (`disk_full_drops` in the summary) and
logs the problem once, without a traceback.

Three ways to fill the disk: a real 2 MB tmpfs (needs root to mount; tests run as root here
and in CI), a fake small disk behind the spool's writer (ENOSPC, no root needed), and a file
size limit on a subprocess (RLIMIT_FSIZE: the kernel answers EFBIG, no root needed).
Uploads go to an endpoint where nothing listens, so every event stays in the spool and what
the spool holds at the end is exactly what it kept.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import cli.watch
from cli import main
from edge_agent import spool as spool_module

# The generated scenarios, shared with the watch tests; a fake small disk for the spool.
from tests.integration.test_edge_watch import scenario  # noqa: F401
from tests.unit.edge_delivery.test_spool import SmallDisk

NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens, every upload fails
SMALL_DISK_BYTES = 2 * 1024 * 1024
REPO = Path(__file__).resolve().parents[2]


def watch_env(spool_dir: Path) -> dict[str, str]:
    return {
        "DOORMAN_UPLOAD__BUCKET": "doorman-disk-full-test",
        "DOORMAN_SPOOL__DIR": str(spool_dir),
        "DOORMAN_SPOOL__MAX_BYTES": str(1_000_000_000),  # the disk fills long before the cap
        "DOORMAN_FACES__TOP_K": "10",  # ten 720p face events per person: more than 2 MB
        "DOORMAN_FACES__REPORT_AFTER_SECONDS": "30",  # chosen from the whole of each visit
        "AWS_ENDPOINT_URL": NOWHERE,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def watch_args(video: Path, summary: Path) -> list[str]:
    return ["watch", str(video), "--camera-id", "full", "--summary-json", str(summary),
            "--no-progress", "--log-level", "INFO"]  # fmt: skip


def spooled_keys(spool_dir: Path) -> list[str]:
    """The keys of the committed items, oldest first."""
    return [json.loads(p.read_text())["key"] for p in sorted(spool_dir.glob("*.json"))]


def watch_in_process(
    video: Path, spool_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, Any], list[logging.LogRecord]]:
    """Run `doorman watch` here; return its summary and every log record it wrote."""
    monkeypatch.setattr(cli.watch, "DRAIN_TIMEOUT_SECONDS", 0.5)  # no upload can succeed
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep(logging.DEBUG)
    logging.getLogger().addHandler(keep)
    summary_path = tmp_path / "summary.json"
    try:
        result = CliRunner().invoke(main, watch_args(video, summary_path), env=watch_env(spool_dir))
    finally:
        logging.getLogger().removeHandler(keep)
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(summary_path.read_text()), records


def assert_newest_faces_kept_and_drops_counted(
    summary: dict[str, Any], records: list[logging.LogRecord], spool_dir: Path
) -> None:
    # The pipeline logs each event it submits, with its key and kind as extra fields.
    events = [(vars(r)["key"], vars(r)["kind"]) for r in records if r.getMessage() == "event"]
    face_keys = [key for key, kind in events if kind == "face"]
    kept = spooled_keys(spool_dir)
    kept_faces = [key for key in kept if key in face_keys]

    assert summary["events"] == len(events) and summary["face_events"] == len(face_keys) >= 15
    assert summary["uploads"] == 0 and summary["evicted"] == 0  # only the disk was full
    assert 0 < len(kept) < len(events)
    assert summary["disk_full_drops"] == len(events) - len(kept)
    assert kept_faces and kept_faces == face_keys[-len(kept_faces) :]  # the newest faces
    assert not list(spool_dir.glob("*.tmp"))  # failed writes are cleaned up

    spool_errors = [
        r for r in records if r.name == "edge_agent.spool" and r.levelno >= logging.ERROR
    ]
    assert len(spool_errors) == 1, [r.getMessage() for r in spool_errors]
    assert "No space left on device" in spool_errors[0].getMessage()
    assert not [r for r in records if r.exc_info], "no tracebacks"


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, unmounted whatever happens."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (the tests run as root in CI)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SMALL_DISK_BYTES}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def test_watch_on_a_full_tmpfs_keeps_going_and_keeps_the_newest_faces(
    request: pytest.FixtureRequest,
    small_tmpfs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    video, _ = request.getfixturevalue("scenario")("two_people")
    spool_dir = small_tmpfs / "spool"
    summary, records = watch_in_process(video, spool_dir, tmp_path, monkeypatch)
    assert_newest_faces_kept_and_drops_counted(summary, records, spool_dir)


def test_watch_when_spool_writes_fail_with_no_space_keeps_going(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video, _ = request.getfixturevalue("scenario")("two_people")
    disk = SmallDisk(capacity=SMALL_DISK_BYTES)
    monkeypatch.setattr(spool_module, "_write_atomic", disk)
    spool_dir = tmp_path / "spool"
    summary, records = watch_in_process(video, spool_dir, tmp_path, monkeypatch)
    assert disk.failures
    assert_newest_faces_kept_and_drops_counted(summary, records, spool_dir)


def _limit_file_size() -> None:
    """In the child: any file write past 100 kB fails with EFBIG (Python ignores SIGXFSZ)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


def test_watch_under_a_file_size_limit_drops_what_does_not_fit_and_exits_0(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    video, truth = request.getfixturevalue("scenario")("two_people")
    spool_dir = tmp_path / "spool"
    summary_path = tmp_path / "summary.json"
    run_watch = (
        "import sys, cli.watch; from cli import main; "
        "cli.watch.DRAIN_TIMEOUT_SECONDS = 0.5; "  # no upload can succeed
        "main(sys.argv[1:], prog_name='doorman')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOORMAN_", "AWS_"))}
    done = subprocess.run(
        [sys.executable, "-c", run_watch, *watch_args(video, summary_path)],
        env={**env, **watch_env(spool_dir)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
        preexec_fn=_limit_file_size,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = json.loads(summary_path.read_text())
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    events = [line for line in lines if line["message"] == "event"]
    spool_errors = [
        line for line in lines if line["level"] == "ERROR" and line["message"].startswith("spool")
    ]

    assert summary["frames"] == truth["frames"]  # it kept watching to the end
    assert summary["events"] == len(events) >= 15
    # Every 720p face JPEG is over 100 kB: each one is dropped, and counted.
    assert summary["disk_full_drops"] == len(events)
    assert not list(spool_dir.glob("*.j*")) and not list(spool_dir.glob("*.tmp"))
    assert len(spool_errors) == 1, spool_errors
    assert "File too large" in spool_errors[0]["message"]
    assert "Traceback" not in done.stderr
