"""enroll's Enroller over in-memory ports: photos in, collection and People out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from functions.enroll.logic import Enroller
from tests.unit.functions.fakes import Bucket, Collection, People, State, jpeg

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
FACES = "faces"


class Gallery:
    def __init__(self) -> None:
        self.bucket, self.collection = Bucket(), Collection()
        self.people, self.state = People(), State()
        self.enroller = Enroller(
            storage=self.bucket,
            faces=self.collection,
            people=self.people,
            state=self.state,
            clock=lambda: NOW,
        )

    def upload(self, key: str, faces: int = 1, **tags: str) -> None:
        data = jpeg(shade=len(self.bucket.objects) + 10)
        self.collection.faces_in[data] = faces
        self.bucket.put(FACES, key, data)
        self.bucket.set_tags(FACES, key, tags)

    def reconcile(self, key: str) -> str:
        return self.enroller.reconcile(FACES, key).outcome

    def outcome_tag(self, key: str) -> str:
        return self.bucket.object_tags[FACES, key]["enrollment"]


@pytest.fixture
def gallery() -> Gallery:
    return Gallery()


def test_a_tagged_photo_is_indexed_under_its_person(gallery: Gallery) -> None:
    gallery.upload("uploads/IMG_001.jpg", name="José Núñez", watchlist="barred")
    assert gallery.reconcile("uploads/IMG_001.jpg") == "indexed"

    (person,) = gallery.people.items.values()
    assert (person.name, person.watchlist) == ("José Núñez", "barred")
    assert person.person_id.isascii()
    assert person.photos == {"uploads/IMG_001.jpg": person.face_ids}
    assert set(gallery.collection.indexed.values()) == {person.person_id}
    assert gallery.outcome_tag("uploads/IMG_001.jpg") == "indexed"


def test_a_repeated_event_changes_nothing(gallery: Gallery) -> None:
    gallery.upload("known/Ada Lovelace/1.jpg")
    assert gallery.reconcile("known/Ada Lovelace/1.jpg") == "indexed"
    result = gallery.enroller.reconcile(FACES, "known/Ada Lovelace/1.jpg")
    assert (result.outcome, result.changed) == ("indexed", False)
    assert len(gallery.collection.indexed) == 1


def test_a_photo_without_a_face_is_tagged_no_face(gallery: Gallery) -> None:
    gallery.upload("known/Ada Lovelace/empty.jpg", faces=0)
    assert gallery.reconcile("known/Ada Lovelace/empty.jpg") == "no-face"
    assert gallery.outcome_tag("known/Ada Lovelace/empty.jpg") == "no-face"
    assert gallery.people.items == {} and gallery.collection.indexed == {}


def test_a_changed_tag_re_indexes_the_photo(gallery: Gallery) -> None:
    key = "uploads/visitor.jpg"
    gallery.upload(key, name="Ada Lovelace", watchlist="known")
    gallery.reconcile(key)
    (first_face,) = gallery.collection.indexed

    gallery.bucket.set_tags(FACES, key, {"name": "Ada Lovelace", "watchlist": "barred"})
    assert gallery.reconcile(key) == "indexed"

    (person,) = gallery.people.items.values()
    assert person.watchlist == "barred"
    assert first_face not in gallery.collection.indexed, "the old face was deleted"
    assert list(gallery.collection.indexed) == person.face_ids


def test_a_removed_photo_is_forgotten(gallery: Gallery) -> None:
    gallery.upload("known/Ada Lovelace/1.jpg")
    gallery.upload("known/Ada Lovelace/2.jpg")
    gallery.reconcile("known/Ada Lovelace/1.jpg")
    gallery.reconcile("known/Ada Lovelace/2.jpg")

    gallery.bucket.delete(FACES, "known/Ada Lovelace/1.jpg")
    assert gallery.reconcile("known/Ada Lovelace/1.jpg") == "removed"
    (person,) = gallery.people.items.values()
    assert list(person.photos) == ["known/Ada Lovelace/2.jpg"]
    assert len(gallery.collection.indexed) == 1

    gallery.bucket.delete(FACES, "known/Ada Lovelace/2.jpg")
    gallery.reconcile("known/Ada Lovelace/2.jpg")
    assert gallery.people.items == {} and gallery.collection.indexed == {}
    assert gallery.state.photos == {}
