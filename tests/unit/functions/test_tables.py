from __future__ import annotations

from decimal import Decimal

from adapters.tables import from_item, sighting_item, to_item
from core.schemas import (
    BoundingBox,
    Emotion,
    EventRecord,
    FaceResult,
    PersonRef,
)


def test_items_round_trip_floats_and_drop_nones() -> None:
    item = to_item({"a": 1.5, "b": None, "c": {"d": [1, 2.25]}, "e": ""})
    assert item["a"] == {"N": "1.5"} and "b" not in item and item["e"] == {"S": ""}
    assert from_item(item) == {"a": 1.5, "c": {"d": [1, 2.25]}, "e": ""}
    assert isinstance(from_item({"n": {"N": "3"}})["n"], int)
    assert Decimal("1.5") == Decimal(item["a"]["N"])


def test_sighting_items_carry_the_face_recognition_fields() -> None:
    ann = PersonRef(person_id="ann", name="Ann", watchlist="known", similarity=96.1)
    faces = [
        FaceResult(
            index=0,
            status="known",
            bounding_box=BoundingBox(width=0.1, height=0.2, left=0.3, top=0.4),
            confidence=99.5,
            emotions=[Emotion(type="CALM", confidence=80.0)],
            person=ann,
            face_id="f1",
        ),
        FaceResult(
            index=1,
            status="stranger",
            bounding_box=BoundingBox(width=0.1, height=0.2, left=0.5, top=0.4),
            confidence=98.0,
        ),
    ]
    record = EventRecord(
        camera_id="door",
        event_time="2026-05-01T12:00:00.000Z#abc",
        captured_at="2026-05-01T12:00:00.000Z",
        image_hash="abc",
        image_key="frames/door/x.jpg",
        faces=faces,
        severity="warning",
        alarm=True,
        processed_key="processed/door/2026-05-01/x.json",
        expires_at=1,
    )
    known, stranger = (sighting_item(record, f) for f in faces)
    assert known["person_id"] == "ann" and stranger["person_id"] == "unknown"
    assert known["sighting_key"] == "2026-05-01T12:00:00.000Z#door#abc#0"
    assert stranger["sighting_key"].endswith("#1")
    assert known["image_id"] == "frames/door/x.jpg" and known["face_id"] == "f1"
    assert known["similarity"] == 96.1 and stranger["similarity"] is None
    assert known["emotions"] == [{"type": "CALM", "confidence": 80.0}]
    assert {"timestamp", "confidence", "bounding_box", "camera_id"} <= set(known)
    assert known["expires_at"] == stranger["expires_at"] == record.expires_at  # Sightings TTL
