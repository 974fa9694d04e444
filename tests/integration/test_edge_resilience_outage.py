"""S3 goes away for 30 s in the middle of a run: every event arrives afterwards, none twice.

The test runs its own moto server on a fixed port so it can stop it and start it again on
the same address. moto's backends live in module globals, so the restarted server still has
the bucket and the objects uploaded before the outage.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path

import pytest

from edge_agent.spool import Spool
from edge_agent.uploader import Uploader
from localcloud.services import free_port, start_moto
from tests.unit.edge_delivery.factory import PutCounter, make_event, s3_client

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OUTAGE_SECONDS = 30.0


def wait_until(condition, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, f"timed out waiting for {what}"
        time.sleep(0.05)
    return time.monotonic() - started


def test_every_event_arrives_once_after_a_30_second_outage(tmp_path: Path) -> None:
    port = free_port()
    server = start_moto(port)
    try:
        s3 = s3_client(server.url, connect_timeout=1, read_timeout=5)
        counter = PutCounter(s3)
        bucket = f"outage-{uuid.uuid4().hex[:8]}"
        s3.create_bucket(Bucket=bucket)
        spool = Spool(tmp_path / "spool", max_bytes=50_000_000)
        uploader = Uploader(spool, s3, bucket, min_backoff=0.2, max_backoff=2.0, poll_interval=0.1)
        uploader.start()
        events = [make_event(n, kind="motion" if n % 4 == 0 else "face") for n in range(60)]

        # Before: 15 events flow normally; 5 more are queued as the server goes down.
        for event in events[:15]:
            spool.submit(event)
            time.sleep(0.02)
        wait_until(lambda: uploader.uploaded == 15, 20, "the first uploads")
        for event in events[15:20]:
            spool.submit(event)
        server.stop()
        outage_started = time.monotonic()

        # During: the camera keeps producing; nothing can be confirmed, nothing is dropped.
        for event in events[20:45]:
            spool.submit(event)
            time.sleep(OUTAGE_SECONDS / 30)
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - outage_started)))
        uploaded_before_outage = sum(counter.ok.values())
        pending_during_outage = len(spool)
        failures_during_outage = uploader.failed_attempts
        outage = time.monotonic() - outage_started

        server = start_moto(port)  # same port, same in-process backend
        restarted = time.monotonic()
        for event in events[45:]:
            spool.submit(event)
        drain = wait_until(lambda: len(spool) == 0, 60, "the spool to drain")
        assert uploader.stop(drain_timeout=5)

        print(
            f"\noutage {outage:.1f} s, {len(events)} events, {pending_during_outage} spooled "
            f"at the end of the outage, {failures_during_outage} failed attempts, "
            f"drained {drain:.1f} s after restart "
            f"({time.monotonic() - restarted:.1f} s incl. stop), "
            f"duplicates {sum(n - 1 for n in counter.ok.values())}"
        )
        assert outage >= OUTAGE_SECONDS
        assert pending_during_outage >= 25  # all submitted while S3 was gone, at least
        assert failures_during_outage > 0
        assert uploaded_before_outage <= 20

        listed = s3.list_objects_v2(Bucket=bucket)["Contents"]
        assert sorted(o["Key"] for o in listed) == sorted(e.key() for e in events)
        # None twice: each key was confirmed by S3 exactly once.
        assert counter.ok == {event.key(): 1 for event in events}
        for event in events[::7]:
            head = s3.head_object(Bucket=bucket, Key=event.key())
            assert head["ETag"].strip('"') == hashlib.md5(event.jpeg).hexdigest()  # noqa: S324
            assert head["Metadata"] == event.metadata()
        assert not any((tmp_path / "spool").glob("*.j*"))
    finally:
        server.stop()
