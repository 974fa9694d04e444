"""Reading Events items: durations, sort-key floors, and what a row shows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.tables import from_item, to_item
from core.schemas import BoundingBox, EventRecord, FaceResult, PersonRef
from ops.events import event_view, parse_since, sort_key_floor

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("7d", timedelta(days=7)),
        ("1w", timedelta(weeks=1)),
        (" 45s ", timedelta(seconds=45)),
    ],
)
def test_durations_count_back_from_now(text, delta):
    assert parse_since(text, NOW) == NOW - delta


def test_iso_times_default_to_utc_and_bad_input_says_what_to_write():
    assert parse_since("2026-04-30T08:00:00", NOW) == datetime(2026, 4, 30, 8, tzinfo=UTC)
    assert parse_since("", NOW) is None
    with pytest.raises(ValueError, match="30m, 2h, 7d"):
        parse_since("yesterday", NOW)


def test_sort_key_floor_compares_with_iso_sort_keys():
    floor = sort_key_floor(datetime(2026, 5, 1, 14, 0, tzinfo=UTC).astimezone())
    assert floor == "2026-05-01T14:00:00"
    assert "2026-05-01T14:00:00.000Z#abc" >= floor > "2026-05-01T13:59:59.999Z#abc"


def _record() -> EventRecord:
    box = BoundingBox(width=0.2, height=0.3, left=0.1, top=0.1)
    grace = PersonRef(person_id="grace-hopper", name="Grace Hopper", watchlist="known",
                      similarity=97.25)  # fmt: skip
    near = PersonRef(person_id="grace-hopper", name="Grace Hopper", watchlist="known",
                     similarity=84.0)  # fmt: skip
    return EventRecord(
        camera_id="front",
        event_time="2026-05-01T11:30:00.000Z#h1",
        captured_at="2026-05-01T11:30:00.000Z",
        image_hash="h1",
        bucket="uploads",
        image_key="frames/front/2026/05/01/t1-000.jpg",
        faces=[
            FaceResult(index=0, status="known", bounding_box=box, confidence=99.5, person=grace),
            FaceResult(
                index=1, status="stranger", bounding_box=box, confidence=98.0, possible_match=near
            ),
        ],
        severity="warning",
        alarm=False,
        processed_key="processed/front/2026-05-01/t1-000.json",
        alert_id="a-1",
        alert_status="sent",
        expires_at=0,
    )


def test_an_event_item_reads_back_as_who_and_what():
    item = from_item(to_item(_record().model_dump(mode="json")))  # through DynamoDB types
    view = event_view(item)
    assert view.who == "Grace Hopper, stranger"
    assert view.people == {"grace-hopper", "unknown"}
    assert view.alerted
    assert view.faces[0].similarity == pytest.approx(97.25)
    assert view.faces[1].possible_match == "Grace Hopper (84%)"
    assert view.to_json()["faces"][0]["bounding_box"]["width"] == pytest.approx(0.2)
