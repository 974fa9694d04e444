"""Two invocations of analyze meet one new stranger at the same moment (two cameras, one
visitor): both searches miss, so without care each makes a stranger of its own. The
creation lease makes the second one search again once the first has indexed the face, and
join it.

Real photos of one person (CompreFace's A), the real face service and DynamoDB (moto), in a
collection, table and bucket of the test's own. The race is forced, not hoped for: each
invocation's first search waits at a barrier until both have searched.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from adapters.faces import FaceIndex, Image
from adapters.storage import Storage
from adapters.strangers import StrangerCreationLease, StrangerTable
from core.strangers import STRANGER_THRESHOLD
from functions.analyze.strangers import Sighting, StrangerMemory

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "compreface-samples"
SAME_PERSON = ("001_A.jpg", "002_A.jpg")


class FirstSearchesMeet:
    """The strangers collection, whose first search in each thread returns only when every
    thread has made its own: both miss, as two invocations a moment apart do."""

    def __init__(self, faces: FaceIndex, threads: int) -> None:
        self.faces = faces
        self.barrier = threading.Barrier(threads, timeout=30)
        self.searched: set[int] = set()

    def search_face(self, image: Image, *, threshold: float, max_faces: int) -> dict[str, Any]:
        found = self.faces.search_face(image, threshold=threshold, max_faces=max_faces)
        if threading.get_ident() not in self.searched:
            self.searched.add(threading.get_ident())
            self.barrier.wait()
        return found

    def index_face(self, image: Image, *, external_image_id: str) -> dict[str, Any]:
        return self.faces.index_face(image, external_image_id=external_image_id)

    def delete_faces(self, face_ids: list[str]) -> int:
        return self.faces.delete_faces(face_ids)


@pytest.fixture
def place(aws_env) -> Iterator[dict[str, str]]:
    """A strangers collection, State table and crops bucket of this test's own."""
    name = f"race-{uuid.uuid4().hex[:8]}"
    rekognition, dynamodb, s3 = (boto3.client(s) for s in ("rekognition", "dynamodb", "s3"))
    rekognition.create_collection(CollectionId=name)
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    s3.create_bucket(Bucket=name)
    yield {"collection": name, "table": name, "bucket": name}
    rekognition.delete_collection(CollectionId=name)
    dynamodb.delete_table(TableName=name)
    # The (empty) bucket stays: moto's /moto-api/data.json, which other tests read mail
    # from, fails on objects of a deleted bucket (FakeKey.status raises NoSuchBucket).
    for listed in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=listed["Key"])


def _meet_at_once(place: dict[str, str], *, lease: bool) -> tuple[list[str], dict[str, Any]]:
    """Both photos of A through two StrangerMemory instances at once; the stranger ids they
    gave, and the collection's faces by stranger id."""
    dynamodb = boto3.client("dynamodb")
    faces = FaceIndex(boto3.client("rekognition"), place["collection"])
    meeting = FirstSearchesMeet(faces, threads=len(SAME_PERSON))
    ids: list[str] = []
    errors: list[BaseException] = []

    def invocation(photo: str) -> None:
        memory = StrangerMemory(
            faces=meeting,
            records=StrangerTable(dynamodb, place["table"]),
            crops=Storage(boto3.client("s3")),
            bucket=place["bucket"],
            threshold=STRANGER_THRESHOLD,
            max_crops=3,
            lease=StrangerCreationLease(dynamodb, place["table"]) if lease else None,
        )
        sighting = Sighting(
            crop=(SAMPLES / photo).read_bytes(),
            quality=1.0,
            camera_id=f"cam-{photo[:3]}",
            captured_at=datetime.now(UTC),
        )
        try:
            ref, _ = memory.remember(sighting)
            assert ref is not None
            ids.append(ref.stranger_id)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=invocation, args=(photo,)) for photo in SAME_PERSON]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    listed = boto3.client("rekognition").list_faces(CollectionId=place["collection"])["Faces"]
    by_stranger: dict[str, int] = {}
    for face in listed:
        by_stranger[face["ExternalImageId"]] = by_stranger.get(face["ExternalImageId"], 0) + 1
    return ids, by_stranger


def test_without_the_lease_the_race_makes_two_strangers_of_one_person(place) -> None:
    """What the barrier does: without the lease, one visitor becomes two strangers."""
    ids, faces = _meet_at_once(place, lease=False)
    assert len(set(ids)) == 2
    assert sorted(faces.values()) == [1, 1]


def test_with_the_lease_the_second_invocation_joins_the_first_stranger(place) -> None:
    ids, faces = _meet_at_once(place, lease=True)
    assert len(ids) == 2 and len(set(ids)) == 1, ids
    (stranger_id,) = set(ids)
    assert faces == {stranger_id: 2}  # both crops, under the one id
    record = StrangerTable(boto3.client("dynamodb"), place["table"]).get(stranger_id)
    assert record is not None
    assert record.sightings == 2
    assert sorted(record.cameras) == ["cam-001", "cam-002"]
    # The lease was given back: the next new stranger need not wait for it.
    lease = StrangerCreationLease(boto3.client("dynamodb"), place["table"])
    assert lease.claim("next", seconds=5)
    lease.release("next")


def test_a_lease_a_dead_invocation_holds_delays_a_new_stranger_but_never_stops_it(
    place, monkeypatch
) -> None:
    """An invocation died holding the lease (Lambda timed out): the next new stranger waits
    `LEASE_WAIT_SECONDS` for it, then is made without it, and the lease runs out on its own."""
    from functions.analyze import strangers

    monkeypatch.setattr(strangers, "LEASE_WAIT_SECONDS", 0.5)
    dynamodb = boto3.client("dynamodb")
    lease = StrangerCreationLease(dynamodb, place["table"])
    assert lease.claim("died-holding-it", seconds=2)
    assert not lease.claim("someone-else", seconds=2), "held: nobody else gets it"
    memory = StrangerMemory(
        faces=FaceIndex(boto3.client("rekognition"), place["collection"]),
        records=StrangerTable(dynamodb, place["table"]),
        crops=Storage(boto3.client("s3")),
        bucket=place["bucket"],
        threshold=STRANGER_THRESHOLD,
        max_crops=3,
        lease=lease,
    )
    sighting = Sighting(
        crop=(SAMPLES / "009_C.jpg").read_bytes(),
        quality=1.0,
        camera_id="cam-c",
        captured_at=datetime.now(UTC),
    )
    ref, _ = memory.remember(sighting)
    assert ref is not None and ref.sightings == 1
    lease.release("someone-else")  # not the holder: changes nothing
    assert not lease.claim("someone-else", seconds=2)
    deadline = time.monotonic() + 10
    while not lease.claim("someone-else", seconds=2):  # ran out (whole seconds)
        assert time.monotonic() < deadline, "the dead invocation's lease never ran out"
        time.sleep(0.2)


def test_a_retried_frame_is_counted_once_and_a_new_upload_of_it_again(place) -> None:
    """Lambda retries a frame whose first attempt failed after the stranger was counted:
    the same frame and face is not counted twice. The same picture uploaded again is
    another frame: it counts."""
    dynamodb = boto3.client("dynamodb")
    records = StrangerTable(dynamodb, place["table"])
    memory = StrangerMemory(
        faces=FaceIndex(boto3.client("rekognition"), place["collection"]),
        records=records,
        crops=Storage(boto3.client("s3")),
        bucket=place["bucket"],
        threshold=STRANGER_THRESHOLD,
        max_crops=3,
        lease=StrangerCreationLease(dynamodb, place["table"]),
    )
    photo = (SAMPLES / "007_B.jpg").read_bytes()

    def sighting(origin: str) -> Sighting:
        return Sighting(photo, 1.0, "cam-b", datetime.now(UTC), origin=origin)

    first, _ = memory.remember(sighting("frame-1#0"))
    retried, _ = memory.remember(sighting("frame-1#0"))
    assert first is not None and retried is not None
    assert retried.stranger_id == first.stranger_id
    stored = records.get(first.stranger_id)
    assert stored is not None and stored.sightings == 1 and len(stored.crops) == 1
    again, _ = memory.remember(sighting("frame-2#0"))
    assert again is not None and again.sightings == 2
