"""localcloud runs the stranger expiry on a schedule, as the stack's EventBridge rule does:
a stranger last seen past `stranger_retention_days` disappears without anyone invoking the
function by hand."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from localcloud.cloud import LocalCloud
from localcloud.provision import LocalConfig
from tests.support.cloud import CloudKit

pytestmark = pytest.mark.integration
CAMERA = "sched-gate"


@pytest.fixture(scope="module")
def scheduled_cloud(
    aws_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CloudKit]:
    config = LocalConfig(
        prefix=f"dm{uuid.uuid4().hex[:6]}",
        cameras=(CAMERA,),
        stranger_retention_days=1,
        expiry_every_seconds=1.0,  # the stack's rule runs daily; a second here
    )
    local = LocalCloud(config, data_dir=tmp_path_factory.mktemp("scheduled"), endpoints=aws_env)
    local.start()
    yield CloudKit(local)
    local.stop()


def stranger_records(cloud: CloudKit) -> list[dict]:
    items = cloud.dynamodb.scan(TableName=cloud.r.state_table)["Items"]
    return [i for i in items if i["pk"]["S"].startswith("stranger#")]


def test_a_stranger_past_retention_expires_on_the_schedule(
    scheduled_cloud: CloudKit, sample_faces: dict[str, Path]
) -> None:
    cloud = scheduled_cloud
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    cloud.put_frame(sample_faces["luispedro"].read_bytes(), camera=CAMERA, captured_at=two_days_ago)
    cloud.drain()
    (event,) = cloud.events(CAMERA)
    assert event["faces"][0]["status"] == "stranger"

    deadline = time.monotonic() + 30
    while stranger_records(cloud) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert stranger_records(cloud) == [], "the scheduled expiry never removed the stranger"
    faces = cloud.rekognition.list_faces(CollectionId=cloud.r.strangers_collection_id)["Faces"]
    assert faces == []
    expiry = cloud.local.functions["expire_strangers"]
    assert expiry.invocations >= 1 and cloud.local.router.errors == []
