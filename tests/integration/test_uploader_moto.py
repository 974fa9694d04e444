"""Spool + uploader against a real moto S3 server: what arrives, and a missing bucket."""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

import pytest

from edge_agent.spool import Spool
from edge_agent.uploader import Uploader
from tests.unit.edge_delivery.factory import PutCounter, make_event, s3_client

pytestmark = pytest.mark.integration


def test_events_arrive_under_their_key_with_metadata_and_content_type(
    moto_server: str, tmp_path: Path
) -> None:
    s3 = s3_client(moto_server)
    bucket = f"uploads-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    spool = Spool(tmp_path, max_bytes=10_000_000)
    events = [
        make_event(1, local_match="grace-hopper"),
        make_event(2, local_match="unknown"),
        make_event(3, kind="motion"),
    ]
    for event in events:
        spool.submit(event)
    uploader = Uploader(spool, s3, bucket)
    uploader.start()
    assert uploader.stop(drain_timeout=20) is True

    assert uploader.uploaded == 3
    for event in events:
        stored = s3.get_object(Bucket=bucket, Key=event.key())
        assert stored["Body"].read() == event.jpeg
        assert stored["ContentType"] == "image/jpeg"
        assert stored["Metadata"] == event.metadata()
    assert stored["Metadata"]["kind"] == "motion" and "local-match" not in stored["Metadata"]
    assert list(tmp_path.iterdir()) == []


def test_a_missing_bucket_is_reported_and_nothing_is_lost_until_it_exists(
    moto_server: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s3 = s3_client(moto_server)
    counter = PutCounter(s3)
    bucket = f"uploads-{uuid.uuid4().hex[:8]}"
    spool = Spool(tmp_path, max_bytes=10_000_000)
    for n in range(4):
        spool.submit(make_event(n))
    uploader = Uploader(spool, s3, bucket, min_backoff=0.05, max_backoff=0.3, poll_interval=0.05)
    with caplog.at_level(logging.ERROR, logger="edge_agent.uploader"):
        uploader.start()
        deadline = time.monotonic() + 10
        while uploader.failed_attempts < 3:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert len(spool) == 4 and uploader.uploaded == 0
        s3.create_bucket(Bucket=bucket)  # the operator fixes the cause
        assert uploader.stop(drain_timeout=20) is True

    assert "NoSuchBucket" in caplog.text and "UploadsBucket" in caplog.text
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert sorted(keys) == sorted(make_event(n).key() for n in range(4))
    assert set(counter.ok.values()) == {1}  # each confirmed exactly once


def test_a_frame_already_in_the_bucket_is_not_overwritten_and_leaves_the_spool(
    moto_server: str, tmp_path: Path
) -> None:
    """moto 5.2 honours If-None-Match: * on PutObject (412 when the key exists), as S3 does.
    A re-sent frame (its first answer lost) counts as delivered; the stored one is kept."""
    s3 = s3_client(moto_server)
    bucket = f"uploads-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    event = make_event(7)
    s3.put_object(Bucket=bucket, Key=event.key(), Body=b"first copy")
    spool = Spool(tmp_path, max_bytes=10_000_000)
    spool.submit(event)
    spool.submit(make_event(8))
    uploader = Uploader(spool, s3, bucket, min_backoff=0.05, max_backoff=0.3, poll_interval=0.05)
    uploader.start()
    assert uploader.stop(drain_timeout=20) is True

    assert (uploader.uploaded, uploader.already_present, uploader.failed_attempts) == (2, 1, 0)
    assert s3.get_object(Bucket=bucket, Key=event.key())["Body"].read() == b"first copy"
    assert (
        s3.get_object(Bucket=bucket, Key=make_event(8).key())["Body"].read() == make_event(8).jpeg
    )
    assert list(tmp_path.rglob("*.jpg")) == []
