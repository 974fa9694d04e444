"""The scenario generator is deterministic and its ground truth matches what it draws."""

from __future__ import annotations

import hashlib

import pytest

from scenes.scenarios import BUILDERS, SCENARIOS, generate, render


def frames_of(name: str, seed: int, seconds: float) -> tuple[list[str], dict]:
    hashes: list[str] = []
    scene = BUILDERS[name][0](seconds)
    truth = render(scene, "720p", 10, seed, lambda f: hashes.append(hashlib.sha256(f).hexdigest()))
    return hashes, truth


def test_same_seed_same_frames_and_truth() -> None:
    a, truth_a = frames_of("one_person", 7, 4.0)
    b, truth_b = frames_of("one_person", 7, 4.0)
    c, _ = frames_of("one_person", 8, 4.0)
    assert a == b and truth_a == truth_b
    assert a != c
    assert len(a) == truth_a["frames"] == 40


def test_truth_lists_people_faces_and_distractors() -> None:
    _, truth = frames_of("turning_away", 7, 7.0)
    [person] = truth["people"]
    assert person["identity"] == "takeo"
    first, last = person["face_visible"]
    assert person["start_frame"] <= first < last < person["end_frame"]  # turns away before leaving
    for _, left, top, right, bottom in person["face_boxes"]:
        assert right - left >= 90 and left >= 0 and top >= 0 and right <= 1280 and bottom <= 720
    kinds = {d["kind"] for d in frames_of("car", 7, 3.0)[1]["distractors"]}
    assert kinds == {"sensor_noise", "car"}


def test_every_scenario_is_listed_and_bad_names_are_refused(tmp_path) -> None:
    assert set(SCENARIOS) >= {
        "static_noise", "one_person", "two_people", "turning_away", "lighting_change",
        "car", "rain", "night", "empty_stretch",
    }  # fmt: skip
    with pytest.raises(ValueError, match="unknown scenario"):
        generate("party", tmp_path)
    with pytest.raises(ValueError, match="unknown resolution"):
        generate("car", tmp_path, resolution="4k")


def test_someone_waiting_at_the_door_sways_a_little_and_stays_there() -> None:
    # one_person stretched to 20 s: about 15 s at the door, walking in and out around it.
    _, truth = frames_of("one_person", 7, 20.0)
    [person] = truth["people"]
    boxes = {f: (left + right) / 2 for f, left, _, right, _ in person["face_boxes"]}
    waiting = [boxes[f] for f in range(40, 180)]  # well inside the wait (10 fps)
    sway = max(waiting) - min(waiting)
    assert 20 <= sway <= 2 * 0.02 * 1280 + 1  # moves, by at most 4 cm each way (26 px)
    assert len({round(x) for x in waiting}) > 20  # not two positions: a slow, uneven sway
