"""`doorman watch scenario.mp4 --dry-run DIR` on every generated scenario, against its truth.

Each scenario is generated once per session (720p, a few seconds; one also at 1080p). A face
event must show the right person (checked with face_recognition against assets/faces) where
the ground truth puts that person's face, exactly once per person track; distractors give no
face event.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import face_recognition
import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from edge_agent.folder_sink import read_events
from edge_agent.pipeline import Box
from scenes.scenarios import SCENARIOS, generate
from tests.support.images import FACES_DIR, augment

pytestmark = pytest.mark.integration

MATCH_DISTANCE = 0.6


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory):
    """scenario(name, resolution="720p") -> (video, truth); generated on first use, shared by
    the edge test modules."""
    folder = tmp_path_factory.getbasetemp() / "edge-scenarios"

    @functools.cache
    def make(name: str, resolution: str = "720p") -> tuple[Path, dict[str, Any]]:
        video, truth = folder / f"{name}-{resolution}.mp4", folder / f"{name}-{resolution}.json"
        if not (video.exists() and truth.exists()):
            video, truth = generate(name, folder, resolution=resolution)
        return video, json.loads(truth.read_text())

    return make


@pytest.fixture(scope="module")
def known_encodings() -> dict[str, np.ndarray]:
    encodings = {}
    for path in sorted(FACES_DIR.iterdir()):
        if path.suffix.lower() not in (".jpg", ".png"):
            continue
        image = face_recognition.load_image_file(path)
        locations = face_recognition.face_locations(image, 1)
        if locations:
            biggest = max(locations, key=lambda loc: loc[2] - loc[0])
            encodings[path.stem] = face_recognition.face_encodings(image, [biggest])[0]
    return encodings


def watch(video: Path, out: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    summary = out.with_suffix(".summary.json")
    result = CliRunner().invoke(
        main,
        ["watch", str(video), "--dry-run", str(out), "--summary-json", str(summary),
         "--no-progress", "--log-level", "WARNING", *args],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(summary.read_text())


def who(jpeg: Path, face: list[int], known: dict[str, np.ndarray]) -> tuple[str, float]:
    image = face_recognition.load_image_file(jpeg)
    encoding = face_recognition.face_encodings(image, [tuple(face)])[0]
    distances = {name: float(np.linalg.norm(known[name] - encoding)) for name in known}
    name = min(distances, key=distances.__getitem__)
    return name, distances[name]


def frame_index(event: dict, video: Path, fps: int) -> int:
    captured = datetime.fromisoformat(event["captured_at"]).timestamp()
    return round((captured - video.stat().st_mtime) * fps)


@pytest.mark.parametrize(
    ("name", "resolution"),
    [pytest.param(name, "720p", id=name) for name in SCENARIOS]
    + [pytest.param("two_people", "1080p", id="two_people-1080p")],  # faces scale with the frame
)
def test_watch_gives_the_ground_truth_events(
    name, resolution, scenario, known_encodings, tmp_path
) -> None:
    video, truth = scenario(name, resolution)
    out = tmp_path / "events"
    summary = watch(video, out)
    events = read_events(out)
    faces = [e for e in events if e["kind"] == "face"]
    motion = [e for e in events if e["kind"] == "motion"]
    people = [p for p in truth["people"] if p["face_boxes"]]

    assert summary["frames"] == truth["frames"] and summary["corrupt_frames"] == 0
    seen = []  # each face of each event: people who came together share one frame
    for event in faces:
        assert (
            event["metadata"]["kind"] == "face" and event["metadata"]["camera-id"] == "front-door"
        )
        index = frame_index(event, video, truth["fps"])
        for face in event["faces"]:
            identity, distance = who(out / event["key"], face, known_encodings)
            assert distance < MATCH_DISTANCE, f"{name}: event face matches nobody ({distance:.2f})"
            person = next(p for p in people if p["identity"] == identity)
            boxes = {b[0]: Box(*b[1:]) for b in person["face_boxes"]}
            assert index in boxes, (
                f"{name}: event at frame {index}, face visible {person['face_visible']}"
            )
            top, right, bottom, left = face
            assert Box(left, top, right, bottom).iou(boxes[index]) > 0.4
            seen.append(identity)
    # Exactly once per person track, whether in a frame of their own or in a shared one.
    assert sorted(seen) == sorted(p["identity"] for p in people), f"{name}: faces {seen}"
    # Motion without a face: at most one snapshot per interval (60 s > any scenario).
    if name != "car":
        assert motion == [], f"{name}: unexpected motion snapshot"
    else:
        assert len(motion) == 1
        assert motion[0]["metadata"]["kind"] == "motion" and motion[0]["faces"] == []


def test_a_file_run_shows_progress_and_ends_with_the_summary(scenario, tmp_path: Path) -> None:
    video, truth = scenario("car")
    result = CliRunner().invoke(
        main, ["watch", str(video), "--dry-run", str(tmp_path / "out"), "--log-level", "WARNING"]
    )
    assert result.exit_code == 0, result.output
    total = truth["frames"]
    assert re.search(rf"frames .*{total}/{total} events 1", result.stderr), result.stderr
    for counter in (
        "frames", "motion frames", "faces", "tracks", "events", "uploads", "dropped", "evicted",
    ):  # fmt: skip
        assert re.search(rf"│ {counter} +│ +\d+ │", result.stdout), f"{counter}: {result.stdout}"


def test_masks_are_honoured_end_to_end(scenario, tmp_path: Path) -> None:
    video, _ = scenario("car")
    config = tmp_path / "doorman.toml"
    config.write_text("[motion]\nmasks = [[[0.0, 0.6], [1.0, 0.6], [1.0, 1.0], [0.0, 1.0]]]\n")
    summary = watch(video, tmp_path / "masked", "--config", str(config))
    assert summary["motion_frames"] == 0 and summary["events"] == 0


def test_local_recognition_labels_and_unknown_only_withholds(scenario, tmp_path: Path) -> None:
    video, _ = scenario("one_person")
    gallery = tmp_path / "known_faces" / "grace_hopper"
    gallery.mkdir(parents=True)
    for seed in (1, 2):
        (gallery / f"{seed}.jpg").write_bytes(augment(FACES_DIR / "grace_hopper.jpg", seed))
    env = {
        "DOORMAN_RECOGNITION__ENABLED": "true",
        "DOORMAN_RECOGNITION__GALLERY_DIR": str(gallery.parent),
    }
    watch(video, tmp_path / "all", env=env)
    [event] = read_events(tmp_path / "all")
    assert event["local_match"] == "grace_hopper"
    assert event["metadata"]["local-match"] == "grace_hopper"

    summary = watch(
        video, tmp_path / "private", env={**env, "DOORMAN_RECOGNITION__UPLOAD": "unknown-only"}
    )
    assert summary["withheld"] == 1 and summary["events"] == 0
    assert read_events(tmp_path / "private") == []


def test_a_truncated_video_counts_its_lost_frames(scenario, tmp_path: Path) -> None:
    video, truth = scenario("one_person")
    broken = tmp_path / "truncated.mp4"
    data = video.read_bytes()
    broken.write_bytes(data[: int(len(data) * 0.6)])
    summary = watch(broken, tmp_path / "events")
    assert summary["corrupt_frames"] > 0
    assert summary["frames"] + summary["corrupt_frames"] == truth["frames"]


def test_config_and_source_errors_exit_with_a_clear_message(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.toml"
    bad.write_text("[faces]\ntop_k = 0\n")
    result = runner.invoke(
        main, ["watch", "x.mp4", "--dry-run", str(tmp_path), "--config", str(bad)]
    )
    assert (
        result.exit_code == 2
        and "faces.top_k: Input should be greater than or equal to 1" in result.stderr
    )
    missing = runner.invoke(main, ["watch", str(tmp_path / "none.mp4"), "--dry-run", str(tmp_path)])
    assert missing.exit_code == 3 and "no such video file" in missing.stderr
    no_bucket = runner.invoke(
        main, ["watch", str(tmp_path / "none.mp4")], env={"DOORMAN_UPLOAD__BUCKET": ""}
    )
    assert no_bucket.exit_code == 2 and "upload.bucket" in no_bucket.output


def test_same_file_gives_the_same_keys(scenario, tmp_path: Path) -> None:
    video, _ = scenario("one_person")
    first = watch(video, tmp_path / "a", "--max-frames", "45")
    second = watch(video, tmp_path / "b", "--max-frames", "45")
    keys = [e["key"] for e in read_events(tmp_path / "a")]
    assert keys and keys == [e["key"] for e in read_events(tmp_path / "b")]
    assert first["frames"] == second["frames"] == 45
