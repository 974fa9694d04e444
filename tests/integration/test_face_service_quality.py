"""Recognition quality through the API, on the sample faces and augmented photos of them.

Every sample person is enrolled from their original photo. Augmented photos (crop, scale,
brightness, rotation, JPEG quality) of an enrolled person must match them at >= 90, and
every other person must score < 80 against those photos. einstein_podium is a hard, small
face: it is enrolled (so others are checked against it) but not used as a probe.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

PROBES = {"grace_hopper": 5, "astronaut": 4, "luispedro": 4, "takeo": 4}
KNOWN_THRESHOLD = 90.0
STRANGER_CEILING = 80.0


@pytest.fixture(scope="module")
def enrolled(rekognition_client, sample_faces) -> str:
    collection_id = "quality-samples"
    rekognition_client.create_collection(CollectionId=collection_id)
    for name, path in sample_faces.items():
        response = rekognition_client.index_faces(
            CollectionId=collection_id,
            Image={"Bytes": path.read_bytes()},
            ExternalImageId=name,
            MaxFaces=1,
        )
        assert len(response["FaceRecords"]) == 1, name
    yield collection_id
    rekognition_client.delete_collection(CollectionId=collection_id)


def scores_by_person(rekognition_client, collection_id: str, image: bytes) -> dict[str, float]:
    response = rekognition_client.search_faces_by_image(
        CollectionId=collection_id, Image={"Bytes": image}, FaceMatchThreshold=0, MaxFaces=20
    )
    scores: dict[str, float] = {}
    for match in response["FaceMatches"]:
        person = match["Face"]["ExternalImageId"]
        scores[person] = max(scores.get(person, 0.0), match["Similarity"])
    return scores


@pytest.mark.parametrize(
    ("person", "seed"), [(p, s) for p, n in PROBES.items() for s in range(100, 100 + n)]
)
def test_augmented_photo_matches_only_its_person(
    rekognition_client, enrolled, augmented, sample_faces, person, seed
):
    scores = scores_by_person(rekognition_client, enrolled, augmented(person, seed))
    assert scores.get(person, 0.0) >= KNOWN_THRESHOLD, scores
    strangers = {name: s for name, s in scores.items() if name != person}
    assert set(strangers) <= set(sample_faces)
    assert all(s < STRANGER_CEILING for s in strangers.values()), strangers


def test_sample_people_are_strangers_to_each_other(rekognition_client, enrolled, sample_faces):
    for person, path in sample_faces.items():
        scores = scores_by_person(rekognition_client, enrolled, path.read_bytes())
        assert scores[person] > 99, person  # the same photo
        others = {name: s for name, s in scores.items() if name != person}
        assert all(s < STRANGER_CEILING for s in others.values()), (person, others)
