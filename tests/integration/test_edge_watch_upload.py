"""`doorman watch` without --dry-run: events go through the spool to S3 (moto server)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edge_agent.cli import main

# The generated scenarios, shared with the watch tests.
from tests.integration.test_edge_watch import scenario  # noqa: F401

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
    assert summary["events"] == 2 and summary["uploads"] == 2 and summary["evicted"] == 0

    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="frames/porch/")
    keys = sorted(item["Key"] for item in listed.get("Contents", []))
    assert len(keys) == 2
    for key in keys:
        head = s3_client.head_object(Bucket=bucket, Key=key)
        meta = head["Metadata"]
        assert meta["camera-id"] == "porch" and meta["kind"] == "face"
        assert key.endswith(f"{meta['track-id']}-001.jpg")
        assert head["ContentLength"] > 10_000
    assert not list(spool.glob("*.jpg"))  # deleted only after S3 confirmed them
