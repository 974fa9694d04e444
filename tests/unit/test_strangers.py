"""core.strangers (pure) and the strangers' lines of the cost model."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core import cost
from core.strangers import (
    RECENT_ORIGINS,
    StrangerCrop,
    crop_key,
    crop_quality,
    describe,
    expired,
    is_stranger_id,
    new_stranger_id,
    plan_crop,
    seen,
    short_id,
    since_phrase,
)

NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)  # a Thursday


def crop(key: str, quality: float) -> StrangerCrop:
    return StrangerCrop(
        key=key, face_id=f"f-{key}", quality=quality, captured_at="2026-11-26T10:00:00.000Z",
        camera_id="garden",
    )  # fmt: skip


def test_ids_are_stable_and_never_a_person_slug() -> None:
    first = new_stranger_id(b"crop bytes")
    assert first == new_stranger_id(b"crop bytes") != new_stranger_id(b"other crop")
    assert is_stranger_id(first) and not is_stranger_id("grace-hopper")
    assert short_id(first) == first.removeprefix("stranger:")[:4]
    assert crop_key(first, b"x").startswith(f"strangers/{first.removeprefix('stranger:')}/")


def test_best_crops_are_bounded_and_kept_by_quality() -> None:
    kept = [crop("a", 50), crop("b", 20), crop("c", 70)]
    assert plan_crop(kept[:2], 10, max_crops=3).keep  # room left
    better = plan_crop(kept, 30, max_crops=3)
    assert better.keep and [c.key for c in better.evicted] == ["b"]
    assert plan_crop(kept, 15, max_crops=3).keep is False


def test_a_sighting_updates_counts_times_cameras_and_crops() -> None:
    first = "stranger:000000000001"
    new = seen(None, first, camera_id="side-gate", captured_at="2026-11-23T08:00Z",
               crop=crop("a", 40))  # fmt: skip
    assert (new.sightings, new.first_camera, new.cameras, len(new.crops)) == (
        1, "side-gate", ["side-gate"], 1,
    )  # fmt: skip
    later = seen(new, new.stranger_id, camera_id="garden", captured_at="2026-11-26T09:00Z",
                 crop=crop("b", 90))  # fmt: skip
    assert later.sightings == 2 and later.last_camera == "garden"
    assert later.first_seen == "2026-11-23T08:00Z" and later.cameras == ["side-gate", "garden"]
    assert [c.key for c in later.crops] == ["b", "a"]  # best first
    # A late-arriving older frame moves "first seen" back, not "last seen".
    older = seen(later, later.stranger_id, camera_id="porch", captured_at="2026-11-20T07:00Z")
    assert older.first_camera == "porch" and older.last_camera == "garden"
    replaced = seen(later, later.stranger_id, camera_id="garden", captured_at="2026-11-26T10:00Z",
                    crop=crop("c", 95), evicted=(later.crops[1],))  # fmt: skip
    assert [c.key for c in replaced.crops] == ["c", "b"]


def test_the_record_remembers_the_last_frames_it_counted() -> None:
    record = seen(None, "stranger:000000000002", camera_id="garden",
                  captured_at="2026-11-23T08:00Z", origin="frame-0#0")  # fmt: skip
    assert record.counted("frame-0#0") and not record.counted("frame-0#1")
    assert not record.counted("")  # no origin: never taken for a retry
    for n in range(1, RECENT_ORIGINS + 5):
        record = seen(record, record.stranger_id, camera_id="garden",
                      captured_at="2026-11-23T09:00Z", origin=f"frame-{n}#0")  # fmt: skip
    assert record.sightings == RECENT_ORIGINS + 5
    assert len(record.recent_origins) == RECENT_ORIGINS  # bounded: the newest kept
    assert record.counted(f"frame-{RECENT_ORIGINS + 4}#0") and not record.counted("frame-0#0")


def test_expiry_counts_from_the_last_sighting() -> None:
    stranger = seen(None, "stranger:000000000002", camera_id="g", captured_at="2026-10-27T15:00Z")
    assert expired(stranger, NOW, 30)
    assert not expired(stranger, NOW - timedelta(seconds=1), 30)
    assert expired(stranger.model_copy(update={"last_seen": "garbage"}), NOW, 30)


@pytest.mark.parametrize(
    ("first", "phrase"),
    [
        ("2026-11-23T08:00:00Z", "since Monday"),
        ("2026-11-26T08:00:00Z", "since today"),
        ("2026-11-03T08:00:00Z", "since 3 Nov"),
        ("2025-12-30T08:00:00Z", "since 30 Dec 2025"),
    ],
)
def test_since_phrases(first: str, phrase: str) -> None:
    assert since_phrase(first, NOW) == phrase


def test_the_sentence_of_the_issue() -> None:
    text = describe("stranger:7f3a00112233", 3, "2026-11-23T08:00:00Z", "side-gate", NOW)
    assert text == "stranger 7f3a, seen 3 times since Monday, first at the side gate"
    assert describe("stranger:7f3a00112233", 1, "", "", NOW) == "stranger 7f3a, seen once"


def test_crop_quality_prefers_sharp_frontal_large_faces() -> None:
    detail = {
        "BoundingBox": {"Width": 0.4, "Height": 0.4},
        "Confidence": 99.0,
        "Quality": {"Sharpness": 80, "Brightness": 55},
        "Pose": {"Yaw": 0, "Pitch": 0},
    }
    sharp = crop_quality(detail, 640, 480)
    assert (
        crop_quality({**detail, "Quality": {"Sharpness": 20, "Brightness": 55}}, 640, 480) < sharp
    )
    assert crop_quality({**detail, "Pose": {"Yaw": 60, "Pitch": 0}}, 640, 480) < sharp
    assert crop_quality(detail, 200, 150) < sharp  # a 60 px face
    assert 0 < sharp <= 100


def test_cost_counts_every_extra_rekognition_call_of_the_strangers() -> None:
    usage = cost.Usage()
    before = cost.estimate(replace(usage, remember_strangers=False, borderline_share=0))
    after = cost.estimate(replace(usage, borderline_share=0))
    lines = {line.item: line for line in after.lines}
    searches = usage.events_per_day * usage.days_per_month * usage.faces_per_event
    # each new stranger is searched once more, under the creation lease
    new_strangers = usage.cameras * usage.strangers_per_month
    assert lines["strangers: SearchFacesByImage"].quantity == (
        searches * usage.stranger_share + new_strangers
    )
    assert lines["strangers: IndexFaces"].quantity == (
        searches * usage.stranger_share * usage.stranger_index_share
    )
    assert lines["strangers: stored faces"].quantity == usage.strangers_per_month * 3
    assert not any(item.startswith("strangers:") for item in (li.item for li in before.lines))
    extra = after.total - before.total
    rekognition = sum(li.monthly_usd for li in after.lines if li.item.startswith("strangers:"))
    assert rekognition < extra < rekognition + 0.01  # plus cents of S3 and DynamoDB
    assert round(before.total, 2) == 1.30 and round(after.total, 2) == 1.69
    # With the user vectors' second opinion on borderline faces (5 % of them): $1.72.
    votes = cost.estimate(usage)
    line = {li.item: li for li in votes.lines}["SearchUsersByImage (borderline faces)"]
    assert line.quantity == searches * usage.borderline_share
    assert round(votes.total, 2) == 1.72


def test_a_correction_vetoes_only_faces_closer_to_it_than_to_the_person() -> None:
    from core.corrections import negative_id, vetoed
    from core.records import FaceMatch

    def m(person: str, similarity: float) -> FaceMatch:
        return FaceMatch(person_id=person, face_id=f"{person}-{similarity}", similarity=similarity)

    assert negative_id("ada") == "not:ada"
    assert vetoed([m("not:ada", 99.0), m("ada", 97.0)]) == {"ada"}
    assert vetoed([m("ada", 99.0), m("not:ada", 97.0)]) == set()  # her genuine photos
    assert vetoed([m("not:ada", 99.0), m("bea", 95.0)]) == set()  # nobody else is touched
    assert vetoed([m("ada", 91.0), m("ada", 99.5), m("not:ada", 99.0)]) == set()


def test_doorman_cost_prints_the_strangers_and_the_votes() -> None:
    import json

    from click.testing import CliRunner

    from cli import main

    def total(*extra: str) -> dict:
        result = CliRunner().invoke(main, ["cost", "--json", *extra])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    before, after = total("--no-strangers", "--borderline-share", "0"), total()
    extra = [li for li in after["lines"] if li["item"].startswith(("strangers:", "SearchUsers"))]
    assert {li["item"] for li in extra} == {
        "strangers: SearchFacesByImage",
        "strangers: IndexFaces",
        "strangers: stored faces",
        "SearchUsersByImage (borderline faces)",
    }
    assert round(before["total"], 2) == 1.30 and round(after["total"], 2) == 1.72
