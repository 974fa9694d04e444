"""Item 7 of issue 13: a tag whose key is the object's file name names the person."""

from __future__ import annotations

import pytest

from core.enrollment import Claim, claim_from, fingerprint


@pytest.mark.parametrize(
    ("tags", "key", "expected"),
    [
        ({"me.jpg": "Jane Doe"}, "me.jpg", Claim("Jane Doe", "known")),
        ({"me.jpg": " Jane   Doe "}, "people/me.jpg", Claim("Jane Doe", "known")),
        ({"me.jpg": "Jane Doe", "watchlist": "barred"}, "me.jpg", Claim("Jane Doe", "barred")),
        # The `name` tag still wins, and a path is only read when no tag names anyone.
        ({"me.jpg": "Jane Doe", "name": "Ann"}, "me.jpg", Claim("Ann", "known")),
        ({"me.jpg": "Jane Doe"}, "barred/Bob/me.jpg", Claim("Jane Doe", "known")),
        ({"you.jpg": "Jane Doe"}, "me.jpg", "no-name"),
        ({"me.jpg": "  "}, "me.jpg", "no-name"),
        ({"me.jpg": "Jane", "watchlist": "vip"}, "me.jpg", "bad-watchlist"),
    ],
)
def test_the_file_name_tag_names_the_person(tags, key, expected) -> None:
    assert claim_from(tags, key) == expected


def test_the_file_name_tag_is_part_of_the_fingerprint_only_when_present() -> None:
    tags = {"name": "Ann", "watchlist": "known"}
    assert fingerprint("e", "v", tags, "a/me.jpg") == fingerprint("e", "v", tags)
    jane = fingerprint("e", "v", {"me.jpg": "Jane"}, "me.jpg")
    assert jane != fingerprint("e", "v", {"me.jpg": "Joan"}, "me.jpg")
    assert jane != fingerprint("e", "v", {}, "me.jpg")
