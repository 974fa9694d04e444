"""`doorman watch` without --dry-run: events go through the spool to S3 (moto server);
`upload = "unknown-only"` sends the stranger and keeps the recognized person local; SIGTERM
in the middle of a visit still reports it, drains the uploads and exits 0."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from edge_agent import sources

# The generated scenarios, shared with the watch tests.
from tests.integration.test_edge_watch import scenario  # noqa: F401
from tests.support.images import FACES_DIR, augment

pytestmark = pytest.mark.integration


def test_watch_uploads_each_event_with_its_metadata(request, s3_client, tmp_path: Path) -> None:
    video, _ = request.getfixturevalue("scenario")("two_people")
    bucket = "doorman-watch-upload-test"
    s3_client.create_bucket(Bucket=bucket)
    spool = tmp_path / "spool"
    summary_path = tmp_path / "summary.json"
    result = CliRunner().invoke(
        main,
        ["watch", str(video), "--camera-id", "porch", "--summary-json", str(summary_path),
         "--no-progress", "--log-level", "WARNING"],
        env={"DOORMAN_UPLOAD__BUCKET": bucket, "DOORMAN_SPOOL__DIR": str(spool)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(summary_path.read_text())
    # Two people at the door together: one frame shows both, and it is the one upload.
    assert summary["tracks"] == 2 and summary["reported_together"] == 1
    assert summary["events"] == 1 and summary["uploads"] == 1 and summary["evicted"] == 0

    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="frames/porch/")
    keys = sorted(item["Key"] for item in listed.get("Contents", []))
    assert len(keys) == 1
    for key in keys:
        head = s3_client.head_object(Bucket=bucket, Key=key)
        meta = head["Metadata"]
        assert meta["camera-id"] == "porch" and meta["kind"] == "face"
        assert key.endswith(f"{meta['track-id']}-001.jpg")
        assert head["ContentLength"] > 10_000
    assert not list(spool.glob("*.jpg"))  # deleted only after S3 confirmed them


class _SigtermAt:
    """A source that sends SIGTERM to this process when it hands out frame `index`."""

    def __init__(self, source, index: int) -> None:
        self._source, self._index = source, index

    def __getattr__(self, name: str):
        return getattr(self._source, name)

    def read(self):
        frame = self._source.read()
        if frame is not None and frame.index == self._index:
            os.kill(os.getpid(), signal.SIGTERM)
        return frame


def test_sigterm_mid_visit_reports_the_open_track_drains_uploads_and_exits_0(
    request, s3_client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video, truth = request.getfixturevalue("scenario")("one_person")
    first, last = truth["people"][0]["face_visible"]
    stop_at = (first + last) // 2  # the person waits at the door: their track is open
    real_open = sources.open_source
    monkeypatch.setattr(
        sources, "open_source", lambda spec, config: _SigtermAt(real_open(spec, config), stop_at)
    )
    leaked: list[int] = []  # SIGTERM that reached the test instead of the agent's handler
    previous = signal.signal(signal.SIGTERM, lambda signum, _: leaked.append(signum))
    bucket = "doorman-watch-sigterm-test"
    s3_client.create_bucket(Bucket=bucket)
    spool = tmp_path / "spool"
    summary_path = tmp_path / "summary.json"
    try:
        result = CliRunner().invoke(
            main,
            ["watch", str(video), "--camera-id", "stoptest", "--summary-json", str(summary_path),
             "--no-progress", "--log-level", "WARNING"],
            env={"DOORMAN_UPLOAD__BUCKET": bucket, "DOORMAN_SPOOL__DIR": str(spool)},
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert result.exit_code == 0, result.output
    assert leaked == []
    summary = json.loads(summary_path.read_text())
    assert summary["frames"] == stop_at + 1 < truth["frames"]  # stopped after that frame
    assert summary["face_events"] == summary["events"] == summary["uploads"] == 1
    [stored] = s3_client.list_objects_v2(Bucket=bucket, Prefix="frames/stoptest/")["Contents"]
    head = s3_client.head_object(Bucket=bucket, Key=stored["Key"])
    assert head["Metadata"]["kind"] == "face"
    assert not list(spool.glob("*.j*"))  # drained before exit, nothing left behind


def test_unknown_only_uploads_the_stranger_and_keeps_the_family_member_local(
    request, s3_client, tmp_path: Path
) -> None:
    video, _ = request.getfixturevalue("scenario")("two_people")  # astronaut and luispedro
    family = tmp_path / "known_faces" / "luispedro"
    family.mkdir(parents=True)
    for seed in (1, 2):
        (family / f"{seed}.jpg").write_bytes(augment(FACES_DIR / "luispedro.jpg", seed))
    bucket = "doorman-unknown-only-test"
    s3_client.create_bucket(Bucket=bucket)
    summary_path = tmp_path / "summary.json"
    result = CliRunner().invoke(
        main,
        ["watch", str(video), "--camera-id", "private", "--summary-json", str(summary_path),
         "--no-progress", "--log-level", "WARNING"],
        env={
            "DOORMAN_UPLOAD__BUCKET": bucket,
            "DOORMAN_SPOOL__DIR": str(tmp_path / "spool"),
            "DOORMAN_RECOGNITION__ENABLED": "true",
            "DOORMAN_RECOGNITION__GALLERY_DIR": str(family.parent),
            "DOORMAN_RECOGNITION__UPLOAD": "unknown-only",
        },
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(summary_path.read_text())
    # The family member gets no frame of their own: kept local when their track is reported
    # first (withheld), or seen beside the stranger in the stranger's frame.
    assert summary["tracks"] == 2 and summary["withheld"] + summary["reported_together"] == 1
    assert summary["events"] == summary["uploads"] == 1
    [stored] = s3_client.list_objects_v2(Bucket=bucket, Prefix="frames/private/")["Contents"]
    head = s3_client.head_object(Bucket=bucket, Key=stored["Key"])
    assert head["Metadata"]["local-match"] == "unknown" and head["Metadata"]["kind"] == "face"
