"""enroll through the router: faces-bucket events -> collection, People, outcome tag."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import ImageEnhance

from tests.support.images import (
    corrupt_jpeg,
    jpeg_bytes,
    no_face_jpeg,
    noise_jpeg,
    open_rgb,
    side_by_side,
)

pytestmark = pytest.mark.integration


def test_console_upload_with_tags_enrolls_the_person(cloud, gallery) -> None:
    grace = cloud.person(gallery.known)
    assert grace is not None
    assert grace["name"] == "Grace Hopper"
    assert grace["watchlist"] == "known"
    faces = cloud.collection_faces(gallery.known)
    assert len(faces) == 1
    assert grace["photos"] == {gallery.known_key: faces}
    assert cloud.tags(cloud.r.faces_bucket, gallery.known_key) == {
        "name": "Grace Hopper",
        "watchlist": "known",
        "enrollment": "indexed",
        "person-id": gallery.known,  # what gallery sync on the edge names her by
    }
    eileen = cloud.person(gallery.barred)
    assert eileen is not None and eileen["watchlist"] == "barred"
    assert len(cloud.collection_faces(gallery.barred)) == 1
    # Each person is a Rekognition user holding their faces (UserId = person_id).
    listed = cloud.rekognition.list_faces(CollectionId=cloud.r.collection_id)["Faces"]
    by_face = {f["FaceId"]: f.get("UserId") for f in listed}
    for person_id in (gallery.known, gallery.barred):
        assert {by_face[f] for f in cloud.collection_faces(person_id)} == {person_id}


def test_each_failure_gets_its_outcome_tag_and_enrolls_nobody(enrolled, sample_faces) -> None:
    cloud = enrolled
    grace = sample_faces["grace_hopper"]
    dark = jpeg_bytes(ImageEnhance.Brightness(open_rgb(grace)).enhance(0.1))
    cases = {
        "failures/no-face.jpg": (no_face_jpeg(), {"name": "Nobody There"}, "no-face"),
        "failures/two.jpg": (
            side_by_side(grace, sample_faces["luispedro"]),
            {"name": "Two People"},
            "many-faces",
        ),
        "failures/dark.jpg": (dark, {"name": "Dark Photo"}, "low-quality"),
        "failures/corrupt.jpg": (corrupt_jpeg(), {"name": "Corrupt Photo"}, "bad-image"),
        "failures/notes.jpg": (b"not an image at all\n" * 50, {"name": "Text File"}, "bad-image"),
        "failures/huge.jpg": (noise_jpeg(20), {"name": "Huge Photo"}, "too-large"),
        "failures/vip.jpg": (
            grace.read_bytes(),
            {"name": "Grace Again", "watchlist": "vip"},
            "bad-watchlist",
        ),
        "loose-photo.jpg": (grace.read_bytes(), None, "no-name"),
    }
    for key, (body, tags, _) in cases.items():
        cloud.put_photo(key, body, tags)
    cloud.drain()

    for key, (_, tags, outcome) in cases.items():
        got = cloud.tags(cloud.r.faces_bucket, key)
        assert got.get("enrollment") == outcome, key
        assert {k: got[k] for k in tags or {}} == (tags or {}), "user tags are kept"
    for person_id in (
        "nobody-there",
        "two-people",
        "dark-photo",
        "corrupt-photo",
        "text-file",
        "huge-photo",
        "grace-again",
    ):
        assert cloud.person(person_id) is None
        assert cloud.collection_faces(person_id) == []
    assert not cloud.dlq_messages(cloud.r.enroll_queue_url, wait=0)


def test_key_path_enrollment_keeps_the_unicode_name(
    enrolled, sample_faces: dict[str, Path]
) -> None:
    cloud = enrolled
    key = "barred/José Núñez/takeo.jpg"
    cloud.put_photo(key, sample_faces["takeo"].read_bytes())
    cloud.drain()

    person = cloud.person("jose-nunez")
    assert person is not None
    assert person["name"] == "José Núñez"
    assert person["watchlist"] == "barred"
    assert person["photos"] == {key: cloud.collection_faces("jose-nunez")}
    assert cloud.tags(cloud.r.faces_bucket, key) == {
        "enrollment": "indexed",
        "person-id": "jose-nunez",
    }


def test_tag_change_reindexes_and_deletion_forgets(cloud, sample_faces: dict[str, Path]) -> None:
    key = "console/takeo.jpg"
    cloud.put_photo(key, sample_faces["takeo"].read_bytes(), {"name": "Takeo Kanade"})
    cloud.drain()
    first_faces = cloud.collection_faces("takeo-kanade")
    assert len(first_faces) == 1

    # A console user renames the person and moves them to the barred list.
    cloud.s3.put_object_tagging(
        Bucket=cloud.r.faces_bucket,
        Key=key,
        Tagging={
            "TagSet": [
                {"Key": "name", "Value": "T. Kanade"},
                {"Key": "watchlist", "Value": "barred"},
            ]
        },
    )
    cloud.drain()
    assert cloud.person("takeo-kanade") is None, "the old person had no other photo"
    assert cloud.collection_faces("takeo-kanade") == []
    renamed = cloud.person("t-kanade")
    assert renamed is not None and renamed["watchlist"] == "barred"
    new_faces = cloud.collection_faces("t-kanade")
    assert len(new_faces) == 1 and new_faces != first_faces
    assert cloud.tags(cloud.r.faces_bucket, key)["enrollment"] == "indexed"

    # Deleting the photo (a delete marker: the bucket is versioned) forgets its faces.
    cloud.s3.delete_object(Bucket=cloud.r.faces_bucket, Key=key)
    cloud.drain()
    assert cloud.person("t-kanade") is None
    assert cloud.collection_faces("t-kanade") == []


def test_a_second_photo_joins_the_person_and_removing_one_keeps_them(
    enrolled, sample_faces, augmented
) -> None:
    cloud = enrolled
    first, second = "console/ls-1.jpg", "console/ls-2.jpg"
    tags = {"name": "Luis Pedro"}
    cloud.put_photo(first, sample_faces["luispedro"].read_bytes(), tags)
    cloud.put_photo(second, augmented("luispedro", 1), tags)
    cloud.drain()
    person = cloud.person("luis-pedro")
    assert person is not None and sorted(person["photos"]) == [first, second]
    assert len(cloud.collection_faces("luis-pedro")) == 2

    versions = cloud.s3.list_object_versions(Bucket=cloud.r.faces_bucket, Prefix=second)
    (version,) = versions["Versions"]
    cloud.s3.delete_object(Bucket=cloud.r.faces_bucket, Key=second, VersionId=version["VersionId"])
    cloud.drain()
    person = cloud.person("luis-pedro")
    assert person is not None and list(person["photos"]) == [first]
    assert cloud.collection_faces("luis-pedro") == person["photos"][first]


def test_the_console_convention_a_tag_named_after_the_file_names_the_person(
    enrolled, sample_faces
) -> None:
    """The AWS sample's console users upload me.jpg tagged `me.jpg` = `Jane Doe`: known, or
    barred with a `watchlist` tag; a new value re-enrolls the photo under the new name."""
    cloud = enrolled
    cloud.put_photo("me.jpg", sample_faces["takeo"].read_bytes(), {"me.jpg": "Takeo Kanade"})
    cloud.put_photo(
        "uploads/them.png",
        sample_faces["luispedro"].read_bytes(),
        {"them.png": "Luis Pedro", "watchlist": "barred"},
    )
    cloud.drain()
    takeo, luis = cloud.person("takeo-kanade"), cloud.person("luis-pedro")
    assert takeo and (takeo["name"], takeo["watchlist"]) == ("Takeo Kanade", "known")
    assert luis and (luis["name"], luis["watchlist"]) == ("Luis Pedro", "barred")
    assert cloud.tags(cloud.r.faces_bucket, "me.jpg")["enrollment"] == "indexed"
    assert len(cloud.collection_faces("takeo-kanade")) == 1

    cloud.s3.put_object_tagging(
        Bucket=cloud.r.faces_bucket,
        Key="me.jpg",
        Tagging={"TagSet": [{"Key": "me.jpg", "Value": "Takeo K"}]},
    )
    cloud.drain()
    assert cloud.person("takeo-kanade") is None  # its only photo now names someone else
    users = {
        u["UserId"]
        for u in cloud.rekognition.list_users(CollectionId=cloud.r.collection_id)["Users"]
    }
    assert "takeo-kanade" not in users and "takeo-k" in users  # the user moved with the photo
    assert cloud.person("takeo-k")["name"] == "Takeo K"
    assert len(cloud.collection_faces("takeo-k")) == 1
    # A tag named after another file names nobody.
    cloud.put_photo("other.jpg", sample_faces["takeo"].read_bytes(), {"me.jpg": "Somebody"})
    cloud.drain()
    assert cloud.tags(cloud.r.faces_bucket, "other.jpg")["enrollment"] == "no-name"
