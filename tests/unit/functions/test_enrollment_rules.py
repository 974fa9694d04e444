from __future__ import annotations

import pytest

from core.enrollment import (
    Claim,
    claim_from,
    crowd_outcome,
    fingerprint,
    unindexed_outcome,
)
from core.schemas import BoundingBox


def box(height: float) -> BoundingBox:
    return BoundingBox(width=height * 0.8, height=height, left=0.1, top=0.1)


@pytest.mark.parametrize(
    ("tags", "key", "expected"),
    [
        ({"name": "Grace Hopper", "watchlist": "known"}, "x.jpg", Claim("Grace Hopper", "known")),
        ({"name": "Grace Hopper"}, "x.jpg", Claim("Grace Hopper", "known")),
        (
            {"name": " Eileen  Collins ", "watchlist": "BARRED"},
            "a/b.jpg",
            Claim("Eileen Collins", "barred"),
        ),
        ({}, "barred/José Núñez/1.jpg", Claim("José Núñez", "barred")),
        ({}, "known/Ann/sub/1.jpg", Claim("Ann", "known")),
        ({"watchlist": "barred"}, "known/Ann/1.jpg", Claim("Ann", "barred")),
        ({"name": "Ann"}, "barred/Bob/1.jpg", Claim("Ann", "known")),
        ({"name": "Ann", "watchlist": "vip"}, "x.jpg", "bad-watchlist"),
        ({}, "friends/Bob/1.jpg", "bad-watchlist"),
        ({}, "photo.jpg", "no-name"),
        ({"name": "   "}, "photo.jpg", "no-name"),
    ],
)
def test_claims_come_from_tags_then_the_key_path(tags, key, expected) -> None:
    assert claim_from(tags, key) == expected


def test_crowd_outcome_flags_a_second_face_half_the_size() -> None:
    assert crowd_outcome([]) == "no-face"
    assert crowd_outcome([box(0.4)]) is None
    assert crowd_outcome([box(0.4), box(0.19)]) is None  # a face in the background
    assert crowd_outcome([box(0.4), box(0.2)]) == "many-faces"
    assert crowd_outcome([box(0.2), box(0.4)]) == "many-faces"


def test_unindexed_reasons_map_to_outcomes() -> None:
    assert unindexed_outcome(["LOW_BRIGHTNESS"]) == "low-quality"
    assert unindexed_outcome(["EXCEEDS_MAX_FACES", "SMALL_BOUNDING_BOX"]) == "low-quality"
    assert unindexed_outcome(["EXCEEDS_MAX_FACES"]) == "no-face"
    assert unindexed_outcome([]) == "no-face"


def test_fingerprint_changes_with_bytes_and_person_tags_only() -> None:
    base = fingerprint("etag1", "v1", {"name": "Ann", "watchlist": "known"})
    assert base == fingerprint(
        "etag1", "v1", {"name": "Ann", "watchlist": "known", "enrollment": "indexed"}
    )
    assert base != fingerprint("etag2", "v1", {"name": "Ann", "watchlist": "known"})
    assert base != fingerprint("etag1", "v1", {"name": "Ann", "watchlist": "barred"})
    assert base != fingerprint("etag1", "v1", {"name": "Anne", "watchlist": "known"})
    assert fingerprint("e", "", {}) != fingerprint("e", "", {"name": ""})
