"""Corrections: "this face is not that person" (`doorman correct EVENT --face N --not NAME`).

The corrected face is indexed in the watchlists' collection under the ExternalImageId
`not:{person_id}`: a negative face of that person. `not:` never starts a person id (a slug
has no `:`), so no People item ever matches it. A face whose search finds a negative face of
P closer than any of P's own faces is not P (`vetoed`); P's genuine photos, closer to P's own
faces, still match. The matches SearchFacesByImage returns are sorted by similarity, so the
rule needs no extra call: when the negative is among them and P's own faces are not, P is
not a candidate anyway.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.records import FaceMatch

NOT_PREFIX = "not:"


def negative_id(person_id: str) -> str:
    return f"{NOT_PREFIX}{person_id}"


def is_negative(external_image_id: str) -> bool:
    return external_image_id.startswith(NOT_PREFIX)


def vetoed(matches: Iterable[FaceMatch]) -> set[str]:
    """The people these matches must not name: a negative face of theirs is more similar
    than any of their own faces."""
    best: dict[str, float] = {}
    for match in matches:
        best[match.person_id] = max(best.get(match.person_id, 0.0), match.similarity)
    return {
        person_id
        for person_id, similarity in best.items()
        if not is_negative(person_id) and best.get(negative_id(person_id), -1.0) > similarity
    }
