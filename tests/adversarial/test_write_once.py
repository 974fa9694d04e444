"""Frames are evidence: once under `frames/`, nobody replaces them. A stolen device credential
(or a buggy agent) cannot overwrite a frame with another picture, because the uploads bucket
denies every PutObject under `frames/` that lacks `If-None-Match` (S3 then refuses an existing
key with 412), and the agent never sends one without it.

AWS: https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from edge_agent.spool import Spool
from edge_agent.uploader import Uploader
from tests.infra.conftest import Synthesized, synthesize
from tests.infra.helpers import as_list, ref_id, render
from tests.unit.edge_delivery.factory import PutCounter, make_event, s3_client

WRITE_ONCE = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": "s3:PutObject",
    "Condition": {"Null": {"s3:if-none-match": "true"}},
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return synthesize("default", tmp_path_factory.mktemp("cdk-write-once"))


def bucket_statements(stack: Synthesized, bucket) -> list[dict]:
    logical_id = stack.stack.get_logical_id(bucket.node.default_child)
    for policy in stack.resources("AWS::S3::BucketPolicy").values():
        if ref_id(policy["Properties"]["Bucket"]) == logical_id:
            return list(policy["Properties"]["PolicyDocument"]["Statement"])
    raise AssertionError(f"{logical_id} has no bucket policy")


@pytest.mark.infra
def test_the_uploads_bucket_denies_a_frame_put_without_if_none_match(stack):
    uploads = stack.stack.storage.uploads
    logical_id = stack.stack.get_logical_id(uploads.node.default_child)
    (statement,) = [
        s for s in bucket_statements(stack, uploads) if s.get("Sid") == "FramesWriteOnce"
    ]
    resource = statement.pop("Resource")
    statement.pop("Sid")
    assert statement == WRITE_ONCE
    # Everyone (the device roles included), on frames/ only: kvs/ is written by KVS itself.
    assert [render(r) for r in as_list(resource)] == [f"<{logical_id}>/frames/*"]


@pytest.mark.infra
def test_no_other_bucket_carries_the_write_once_rule(stack):
    storage = stack.stack.storage
    for bucket in (storage.faces, storage.audit, storage.access_logs):
        assert not [
            s for s in bucket_statements(stack, bucket) if s.get("Sid") == "FramesWriteOnce"
        ]


@pytest.mark.integration
def test_a_replayed_or_tampered_frame_does_not_replace_the_stored_one(
    moto_server: str, tmp_path: Path
) -> None:
    """The same key spooled again with other bytes (a replay, or a picture swapped on the
    device's disk): the uploader's conditional put is refused and the original stays."""
    s3 = s3_client(moto_server)
    counter = PutCounter(s3)
    bucket = f"write-once-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    original = make_event(3)
    swapped = make_event(3, payload=make_event(99).jpeg)  # same key, other picture
    assert swapped.key() == original.key() and swapped.jpeg != original.jpeg

    for event in (original, swapped):
        spool = Spool(tmp_path / "spool", max_bytes=10_000_000)
        spool.submit(event)
        uploader = Uploader(spool, s3, bucket, min_backoff=0.05, max_backoff=0.3)
        uploader.start()
        assert uploader.stop(drain_timeout=20) is True

    assert uploader.already_present == 1
    assert s3.get_object(Bucket=bucket, Key=original.key())["Body"].read() == original.jpeg
    assert counter.ok == {original.key(): 1}
