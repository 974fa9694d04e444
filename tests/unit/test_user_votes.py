"""analyze lets a person's photos vote together (SearchUsersByImage) on borderline faces."""

from __future__ import annotations

from tests.unit.functions.fakes import match
from tests.unit.functions.test_analyze_logic import Door


def test_a_borderline_face_is_named_when_the_persons_user_vector_agrees() -> None:
    door = Door()
    door.camera.users = {"grace-hopper": 94.0}
    assert door.frame([match("grace-hopper", 86.0)]) == "none"
    (face,) = door.log.events[0].faces
    assert face.status == "known" and face.person and face.person.similarity == 94.0
    assert door.camera.calls == 3  # DetectFaces, SearchFacesByImage, SearchUsersByImage
    raw = [k for _, k in door.bucket.documents if "/rekognition/" in f"/{k}"]
    assert any(k.endswith("SearchUsersByImage-0.json") for k in raw)


def test_the_vote_is_not_asked_for_clear_faces_or_faces_without_a_candidate() -> None:
    door = Door()
    door.camera.users = {"grace-hopper": 99.0}
    door.frame([match("grace-hopper", 97.0)])
    door.frame([])
    assert door.camera.calls == 2 + 2  # no SearchUsersByImage: clearly Grace; nobody close


def test_a_weak_user_vector_leaves_a_stranger_and_a_correction_vetoes_the_vote() -> None:
    door = Door()
    door.camera.users = {"grace-hopper": 85.0}
    assert door.frame([match("grace-hopper", 84.0)]) == "sent"
    assert door.log.events[0].faces[0].status == "stranger"
    door.camera.users = {"grace-hopper": 97.0}
    door.frame([match("not:grace-hopper", 96.0), match("grace-hopper", 86.0)])
    assert door.log.events[1].faces[0].status == "stranger"  # closer to "not Grace"
