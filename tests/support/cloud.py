"""Cloud fixtures (a pytest plugin that tests/conftest.py loads, so the integration and the
adversarial suites share one local cloud), built on the session servers of tests/conftest.py.

- `local_cloud`: one `LocalCloud` per session on the shared moto server and face service:
  the stack's resources (under a unique prefix, so other suites on the same moto server
  never collide) and the router running enroll, analyze and notify on their queues.
- `cloud`: a `CloudKit` over it: upload helpers and readers for what the functions wrote.
- `gallery`: Grace Hopper (known) and Eileen Collins (astronaut.png, barred), enrolled
  once per session the way a console user does it (an upload with tags).
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from localcloud.cloud import LocalCloud
from localcloud.provision import LocalConfig

_deserialize = TypeDeserializer().deserialize


def plain(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserialize(value) for key, value in item.items()}


@dataclass
class CloudKit:
    local: LocalCloud

    def __post_init__(self) -> None:
        self.r = self.local.resources
        self.s3 = self.local.client("s3")
        self.sqs = self.local.client("sqs")
        self.dynamodb = self.local.client("dynamodb")
        self.rekognition = self.local.client("rekognition")
        self.ssm = self.local.client("ssm")

    # ---- inputs ------------------------------------------------------------------------

    def put_photo(self, key: str, body: bytes, tags: dict[str, str] | None = None) -> None:
        extra = {"Tagging": urllib.parse.urlencode(tags)} if tags else {}
        self.s3.put_object(Bucket=self.r.faces_bucket, Key=key, Body=body, **extra)

    def put_frame(
        self,
        body: bytes,
        *,
        camera: str,
        track: str | None = None,
        kind: str = "face",
        captured_at: datetime | None = None,
        key: str | None = None,
    ) -> str:
        """Upload a frame as the edge agent does (key layout and x-amz-meta-* fields)."""
        moment = captured_at or datetime.now(UTC)
        track = track or uuid.uuid4().hex[:8]
        key = key or f"frames/{camera}/{moment:%Y/%m/%d}/{track}-001.jpg"
        self.s3.put_object(
            Bucket=self.r.uploads_bucket,
            Key=key,
            Body=body,
            ContentType="image/jpeg",
            Metadata={
                "camera-id": camera,
                "captured-at": moment.isoformat(timespec="milliseconds"),
                "track-id": track,
                "kind": kind,
                "agent-version": "test",
            },
        )
        return key

    def s3_event(self, bucket: str, key: str) -> str:
        """The SQS body S3 sends for an ObjectCreated:Put of an existing object."""
        head = self.s3.head_object(Bucket=bucket, Key=key)
        record = {
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "eventName": "ObjectCreated:Put",
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "test",
                "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                "object": {
                    "key": urllib.parse.quote_plus(key),
                    "size": head["ContentLength"],
                    "eTag": head["ETag"].strip('"'),
                },
            },
        }
        return json.dumps({"Records": [record]})

    def drain(self, timeout: float = 90.0) -> None:
        self.local.drain(timeout)

    # ---- outputs -----------------------------------------------------------------------

    def tags(self, bucket: str, key: str) -> dict[str, str]:
        tag_set = self.s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
        return {t["Key"]: t["Value"] for t in tag_set}

    def person(self, person_id: str) -> dict[str, Any] | None:
        item = self.dynamodb.get_item(
            TableName=self.r.people_table, Key={"person_id": {"S": person_id}}
        ).get("Item")
        return plain(item) if item else None

    def collection_faces(self, person_id: str) -> list[str]:
        faces, token = [], None
        while True:
            page = self.rekognition.list_faces(
                CollectionId=self.r.collection_id,
                MaxResults=1000,
                **({"NextToken": token} if token else {}),
            )
            faces += [f["FaceId"] for f in page["Faces"] if f.get("ExternalImageId") == person_id]
            token = page.get("NextToken")
            if not token:
                return faces

    def events(self, camera: str) -> list[dict[str, Any]]:
        items = self.dynamodb.query(
            TableName=self.r.events_table,
            KeyConditionExpression="camera_id = :c",
            ExpressionAttributeValues={":c": {"S": camera}},
        )["Items"]
        return [plain(i) for i in items]

    def sightings(self, person_id: str) -> list[dict[str, Any]]:
        items = self.dynamodb.query(
            TableName=self.r.sightings_table,
            KeyConditionExpression="person_id = :p",
            ExpressionAttributeValues={":p": {"S": person_id}},
        )["Items"]
        return [plain(i) for i in items]

    def audit_json(self, key: str) -> dict[str, Any]:
        body = self.s3.get_object(Bucket=self.r.audit_bucket, Key=key)["Body"].read()
        return json.loads(body)

    def audit_keys(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.r.audit_bucket, Prefix=prefix
        )
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def moto_data(self) -> dict[str, Any]:
        url = f"{self.local.moto_url}/moto-api/data.json"
        with urllib.request.urlopen(url, timeout=10) as response:  # local moto
            return json.loads(response.read())

    def emails(self, camera: str | None = None) -> list[dict[str, Any]]:
        """Sent SES mail (moto keeps the HTML part as `body`), optionally for one camera."""
        sent = self.moto_data()["ses"]["Message"]
        if camera is None:
            return sent
        return [m for m in sent if f"<td>{camera}</td>" in m["body"]]

    def emails_about(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        """The mails sent about one Events item (its alert id is in the mail)."""
        return [m for m in self.emails() if event["alert_id"] in m["body"]]

    def sns_messages(self) -> list[dict[str, Any]]:
        topics = self.moto_data()["sns"]["Topic"]
        topic = next(t for t in topics if t["arn"] == self.r.alerts_topic_arn)
        return [json.loads(message) for _, message, *_ in topic["sent_notifications"]]

    def set_armed(self, value: str) -> None:
        self.ssm.put_parameter(
            Name=self.r.armed_parameter, Value=value, Type="String", Overwrite=True
        )

    def dlq_messages(self, queue_url: str, wait: float) -> list[dict[str, Any]]:
        """Messages in the DLQ of `queue_url`, waiting up to `wait` seconds for one."""
        dlq_url = queue_url + "-dlq"
        deadline = time.monotonic() + wait
        while True:
            found = self.sqs.receive_message(
                QueueUrl=dlq_url,
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                VisibilityTimeout=0,
                WaitTimeSeconds=1,
            ).get("Messages", [])
            if found or time.monotonic() > deadline:
                return found


# The stack's `cameras` for the session's LocalCloud: analyze rejects a frame from any other
# camera, so every camera a test uploads as through `cloud` is listed here.
TEST_CAMERAS = (
    "front-door", "garden", "side-gate", "street", "porch", "door", "backdoor", "broken",
    "drive", "gate", "hall", "lane", "lane-face", "odd-truncated", "odd-exif-known",
    "odd-16bit-known", "odd-exif-barred", "odd-16bit-barred", "poison", "poison-audit",
    "poison-copy", "poison-key", "poison-swap", "poison-table", "poison-time", "private",
    "shed", "stoptest", "twice", "yard", "forget-gate", "rules-yard", "rules-shed",
    "why-group", "why-crowd", "why-derived", "s-garden", "s-gate", "s-drive",
)  # fmt: skip


@pytest.fixture(scope="session")
def local_cloud(
    aws_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalCloud]:
    config = LocalConfig(
        prefix=f"dm{uuid.uuid4().hex[:6]}",
        visibility_timeout=2,
        streaming=True,
        cameras=TEST_CAMERAS,
        # The session's tests each expect their own camera's alert about the gallery's barred
        # person; the cross-camera limit is tested on a cloud of its own (test_alert_flood).
        alert_rate_seconds=0,
        # One execution environment per function, so tests can read a handler's counters
        # (`functions["analyze"].module`); concurrent handling is tested on its own cloud
        # (test_localcloud_concurrency).
        concurrency=1,
    )
    cloud = LocalCloud(config, data_dir=tmp_path_factory.mktemp("cloud"), endpoints=aws_env)
    cloud.start()
    yield cloud
    cloud.stop()


@contextlib.contextmanager
def quiet_cloud(name: str, aws_env: dict[str, str], data_dir: Path) -> Iterator[LocalCloud]:
    """A LocalCloud of its own (prefix `dm{name}…`) on the session's services, whose
    functions log only warnings and emit no metrics: for tests that read the CLI's or the
    logs' output and want nothing else in it."""
    quiet = {"POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_METRICS_DISABLED": "true"}
    with pytest.MonkeyPatch.context() as patch:
        for key, value in quiet.items():
            patch.setenv(key, value)
        config = LocalConfig(prefix=f"dm{name}{uuid.uuid4().hex[:5]}")
        local = LocalCloud(config, data_dir=data_dir, endpoints=aws_env)
        local.start()
        try:
            yield local
        finally:
            local.stop()


@pytest.fixture(scope="session")
def cloud(local_cloud: LocalCloud) -> CloudKit:
    return CloudKit(local_cloud)


@dataclass(frozen=True)
class Gallery:
    known: str
    barred: str
    known_key: str
    barred_key: str


# watchlist -> (faces-bucket key, sample photo, display name): the people the tests enroll.
SAMPLE_ENROLLMENTS = {
    "known": ("console/grace.jpg", "grace_hopper", "Grace Hopper"),
    "barred": ("console/eileen.png", "astronaut", "Eileen Collins"),
}


def enroll_samples(
    kit: CloudKit, sample_faces: dict[str, Path], watchlists: tuple[str, ...] = ("known", "barred")
) -> None:
    """Enroll the sample people the way a console user does (a tagged upload), and wait."""
    for watchlist in watchlists:
        key, photo, name = SAMPLE_ENROLLMENTS[watchlist]
        kit.put_photo(key, sample_faces[photo].read_bytes(), {"name": name, "watchlist": watchlist})
    kit.drain()


@pytest.fixture(scope="session")
def gallery(cloud: CloudKit, sample_faces: dict[str, Path]) -> Gallery:
    enroll_samples(cloud, sample_faces)
    return Gallery("grace-hopper", "eileen-collins", "console/grace.jpg", "console/eileen.png")


@pytest.fixture
def enrolled(cloud: CloudKit) -> Iterator[CloudKit]:
    """`cloud`, but every faces-bucket photo the test uploads is removed (and forgotten by
    enroll) afterwards, so each test leaves the session gallery as it found it."""
    before = {
        o["Key"]
        for page in cloud.s3.get_paginator("list_objects_v2").paginate(Bucket=cloud.r.faces_bucket)
        for o in page.get("Contents", [])
    }
    yield cloud
    after = {
        o["Key"]
        for page in cloud.s3.get_paginator("list_objects_v2").paginate(Bucket=cloud.r.faces_bucket)
        for o in page.get("Contents", [])
    }
    for key in after - before:
        cloud.s3.delete_object(Bucket=cloud.r.faces_bucket, Key=key)
    cloud.drain()
