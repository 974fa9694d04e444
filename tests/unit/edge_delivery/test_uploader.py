"""Uploader decisions against a stubbed S3 client (no network): what is retried, what is
kept, and that an item leaves the spool only after S3 said yes."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from edge_agent.spool import Spool
from edge_agent.uploader import Uploader
from tests.unit.edge_delivery.factory import make_event

BUCKET = "doorman-uploads"


@pytest.fixture
def s3():
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="unit",
        aws_secret_access_key="unit",  # stubbed: nothing leaves the process
    )
    with Stubber(client) as stubber:
        yield client, stubber


def expect_put(stubber: Stubber, event) -> None:
    stubber.add_response(
        "put_object",
        {"ETag": '"abc"'},
        {
            "Bucket": BUCKET,
            "Key": event.key(),
            "Body": event.jpeg,
            "ContentType": "image/jpeg",
            "Metadata": event.metadata(),
            # Write-once: the uploads bucket denies a frame put without it.
            "IfNoneMatch": "*",
        },
    )


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def uploader(spool: Spool, client, **kwargs) -> Uploader:
    options = {"min_backoff": 0.01, "max_backoff": 0.05, "poll_interval": 0.02} | kwargs
    return Uploader(spool, client, BUCKET, **options)


def test_puts_with_key_metadata_and_content_type_then_deletes(tmp_path: Path, s3) -> None:
    client, stubber = s3
    spool = Spool(tmp_path, max_bytes=1_000_000)
    events = [make_event(1, local_match="grace-hopper"), make_event(2, kind="motion")]
    for event in events:
        expect_put(stubber, event)
        spool.submit(event)
    up = uploader(spool, client)
    up.start()
    assert up.stop(drain_timeout=5.0) is True
    stubber.assert_no_pending_responses()
    assert up.uploaded == 2 and len(spool) == 0
    assert not list(tmp_path.glob("*.jpg"))


def test_server_errors_and_throttling_are_retried_until_success(tmp_path: Path, s3) -> None:
    client, stubber = s3
    spool = Spool(tmp_path, max_bytes=1_000_000)
    event = make_event(1)
    spool.submit(event)
    stubber.add_client_error("put_object", "InternalError", http_status_code=500)
    stubber.add_client_error("put_object", "SlowDown", http_status_code=503)
    stubber.add_client_error("put_object", "RequestTimeout", http_status_code=400)
    expect_put(stubber, event)
    up = uploader(spool, client)
    up.start()
    wait_until(lambda: up.uploaded == 1)
    up.stop(drain_timeout=1.0)
    stubber.assert_no_pending_responses()
    assert up.failed_attempts == 3
    assert len(spool) == 0


def test_access_denied_keeps_the_item_and_says_what_to_fix(
    tmp_path: Path, s3, caplog: pytest.LogCaptureFixture
) -> None:
    client, stubber = s3
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.submit(make_event(1))
    for _ in range(2):
        stubber.add_client_error("put_object", "AccessDenied", http_status_code=403)
    up = uploader(spool, client, max_backoff=0.2)
    with caplog.at_level(logging.ERROR, logger="edge_agent.uploader"):
        up.start()
        wait_until(lambda: up.failed_attempts == 2)
        assert up.stop(drain_timeout=0.0) is False
    assert len(spool) == 1  # nothing deleted
    message = caplog.records[0].getMessage()
    assert "AccessDenied" in message and "s3:PutObject" in message and BUCKET in message


def test_a_frame_already_in_s3_counts_as_delivered_and_leaves_the_spool(tmp_path: Path, s3) -> None:
    """A retry of a put whose answer was lost: S3 refuses it with 412 (If-None-Match: *) as
    the object is there. It must not be retried forever, nor set aside as rejected."""
    client, stubber = s3
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.submit(make_event(1))
    spool.submit(make_event(2))
    stubber.add_client_error(
        "put_object",
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        http_status_code=412,
        expected_params={
            "Bucket": BUCKET,
            "Key": make_event(1).key(),
            "Body": make_event(1).jpeg,
            "ContentType": "image/jpeg",
            "Metadata": make_event(1).metadata(),
            "IfNoneMatch": "*",
        },
    )
    expect_put(stubber, make_event(2))
    up = uploader(spool, client)
    up.start()
    assert up.stop(drain_timeout=5.0) is True
    stubber.assert_no_pending_responses()
    assert (up.uploaded, up.already_present, up.failed_attempts, up.rejected) == (2, 1, 0, 0)
    assert up.stats()["already_present"] == 1
    assert len(spool) == 0 and not list(tmp_path.rglob("*.jpg"))


def test_a_concurrent_conditional_write_conflict_is_retried(tmp_path: Path, s3) -> None:
    """409 ConditionalRequestConflict: S3 asks the client to retry (conditional-writes page)."""
    client, stubber = s3
    spool = Spool(tmp_path, max_bytes=1_000_000)
    event = make_event(1)
    spool.submit(event)
    stubber.add_client_error("put_object", "ConditionalRequestConflict", http_status_code=409)
    expect_put(stubber, event)
    up = uploader(spool, client)
    up.start()
    wait_until(lambda: up.uploaded == 1)
    up.stop(drain_timeout=1.0)
    stubber.assert_no_pending_responses()
    assert (up.failed_attempts, up.already_present, len(spool)) == (1, 0, 0)


def test_backoff_grows_exponentially_with_jitter_and_caps(tmp_path: Path) -> None:
    up = Uploader(Spool(tmp_path, 1_000_000), object(), BUCKET, min_backoff=1, max_backoff=8)
    delays = [up._next_backoff(at_max=False) for _ in range(6)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling
    assert 4 <= up._next_backoff(at_max=True) <= 8


def test_an_item_s3_refuses_is_set_aside_and_the_queue_moves_on(tmp_path: Path, s3) -> None:
    client, stubber = s3
    spool = Spool(tmp_path, max_bytes=1_000_000)
    spool.submit(make_event(1))
    spool.submit(make_event(2))
    stubber.add_client_error("put_object", "EntityTooLarge", http_status_code=400)
    expect_put(stubber, make_event(2))
    up = uploader(spool, client)
    up.start()
    assert up.stop(drain_timeout=5.0) is True
    assert (up.uploaded, up.rejected) == (1, 1)
    assert len(list((tmp_path / "rejected").glob("*.jpg"))) == 1


def test_stop_without_items_returns_promptly(tmp_path: Path, s3) -> None:
    client, _ = s3
    up = Uploader(Spool(tmp_path, 1_000_000), client, BUCKET, poll_interval=0.05)
    up.start()
    started = time.monotonic()
    assert up.stop(drain_timeout=10.0) is True
    assert time.monotonic() - started < 2.0
    assert not up.running


def test_unexpected_errors_do_not_kill_the_thread(tmp_path: Path, s3) -> None:
    client, stubber = s3
    spool = Spool(tmp_path, max_bytes=1_000_000)
    event = make_event(1)
    spool.submit(event)
    calls = []

    def explode_once(**_):
        if not calls:
            calls.append(1)
            raise RuntimeError("disk hiccup")

    client.meta.events.register("before-parameter-build.s3.PutObject", explode_once)
    expect_put(stubber, event)
    up = uploader(spool, client)
    up.start()
    wait_until(lambda: up.uploaded == 1)
    up.stop(1.0)


def test_empty_bucket_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bucket"):
        Uploader(Spool(tmp_path, 1_000_000), object(), "")


def test_from_config_applies_bucket_timeouts_and_backoff(tmp_path: Path) -> None:
    from edge_agent.config import UploadConfig

    upload = UploadConfig(
        bucket="doorman-uploads-1",
        region="eu-west-1",
        connect_timeout_seconds=2,
        read_timeout_seconds=7,
        max_backoff_seconds=0.2,
    )
    up = Uploader.from_config(Spool(tmp_path, 1_000_000), upload)
    config = up.s3.meta.config
    assert (up.bucket, up.max_backoff, up.min_backoff) == ("doorman-uploads-1", 0.2, 0.2)
    assert (config.connect_timeout, config.read_timeout) == (2, 7)
    assert config.retries["mode"] == "standard"
    assert up.s3.meta.region_name == "eu-west-1"
    with pytest.raises(ValueError, match=r"upload\.bucket"):
        Uploader.from_config(Spool(tmp_path, 1_000_000), UploadConfig())
