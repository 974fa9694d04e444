"""analyze's Analyzer over in-memory ports: what a frame records and what it alerts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.schemas import FrameRef, Person
from core.settings import AnalyzeSettings
from functions.analyze.logic import Analyzer, Ports
from tests.unit.functions.fakes import (
    AlertQueue,
    Bucket,
    Camera,
    Log,
    People,
    Ssm,
    State,
    jpeg,
    match,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ARMED = "/doorman/armed"
SETTINGS = AnalyzeSettings(
    audit_bucket="audit",
    events_table="events",
    sightings_table="sightings",
    people_table="people",
    state_table="state",
    collection_id="faces",
    alerts_queue_url="alerts",
    armed_parameter=ARMED,
    cooldown_seconds=300,
)


def person(person_id: str, name: str, watchlist: str) -> Person:
    stamp = "2026-04-01T00:00:00.000Z"
    return Person(
        person_id=person_id, name=name, watchlist=watchlist, enrolled_at=stamp, updated_at=stamp
    )


class Door:
    """An Analyzer wired to fakes, with a way to upload frames."""

    def __init__(self) -> None:
        self.bucket, self.camera, self.log = Bucket(), Camera(), Log()
        self.state, self.queue, self.ssm = State(), AlertQueue(), Ssm(**{ARMED: "armed"})
        people = People(
            person("grace-hopper", "Grace Hopper", "known"),
            person("eileen-collins", "Eileen Collins", "barred"),
        )
        ports = Ports(
            storage=self.bucket,
            faces=self.camera,
            people=people,
            events=self.log,
            sightings=self.log,
            state=self.state,
            alerts=self.queue,
            parameters=self.ssm,
        )
        self.analyzer = Analyzer(ports, SETTINGS, clock=lambda: NOW)
        self._frames = 0

    def frame(self, *faces: list[dict], camera: str = "porch") -> str:
        """Upload a frame showing `faces` (their matches) and analyse it; its alert status."""
        self._frames += 1
        key = f"frames/{camera}/2026/05/01/t{self._frames}-001.jpg"
        metadata = {"camera-id": camera, "captured-at": "2026-05-01T12:00:00Z", "kind": "face"}
        self.bucket.put("uploads", key, jpeg(shade=self._frames), metadata)
        self.camera.shows(*faces)
        outcome = self.analyzer.analyze_frame(FrameRef(bucket="uploads", key=key, etag="e"))
        assert outcome.status == "analyzed"
        return self.log.events[-1].alert_status


@pytest.fixture
def door() -> Door:
    return Door()


def test_a_known_person_is_recorded_as_info_without_an_alert(door: Door) -> None:
    assert door.frame([match("grace-hopper", 97.0)]) == "none"

    (event,) = door.log.events
    assert event.severity == "info" and event.alarm is False
    (face,) = event.faces
    assert face.status == "known" and face.person and face.person.name == "Grace Hopper"
    assert [s["person_id"] for s in door.log.sightings] == ["grace-hopper"]
    assert door.queue.sent == []
    assert door.bucket.object_tags["uploads", event.image_key] == {"classification": "quiet"}
    assert ("audit", event.processed_key) in door.bucket.documents


def test_a_barred_person_raises_a_critical_alert(door: Door) -> None:
    assert door.frame([match("eileen-collins", 99.0)], camera="gate") == "sent"

    (alert,) = door.queue.sent
    assert (alert.severity, alert.reason, alert.camera_id) == ("critical", "barred-person", "gate")
    assert [p.person_id for p in alert.people] == ["eileen-collins"]
    assert door.log.events[0].severity == "critical"
    assert door.bucket.object_tags["uploads", alert.key] == {"classification": "alarm"}


def test_a_barred_match_below_the_barred_threshold_is_a_stranger(door: Door) -> None:
    assert door.frame([match("eileen-collins", 92.0)]) == "sent"
    (face,) = door.log.events[0].faces
    assert face.status == "stranger"
    assert face.possible_match and face.possible_match.person_id == "eileen-collins"
    assert [a.severity for a in door.queue.sent] == ["warning"]


def test_a_stranger_raises_a_warning_naming_a_possible_match(door: Door) -> None:
    assert door.frame([match("grace-hopper", 84.0)]) == "sent"

    (alert,) = door.queue.sent
    assert (alert.severity, alert.reason) == ("warning", "unknown-face")
    assert alert.unknown_faces == 1
    assert [p.name for p in alert.possible_matches] == ["Grace Hopper"]
    assert [s["person_id"] for s in door.log.sightings] == ["unknown"]


def test_the_cooldown_blocks_a_second_alert_for_the_same_camera_and_identity(
    door: Door,
) -> None:
    assert door.frame([]) == "sent"
    assert door.frame([]) == "cooldown"
    assert door.frame([], camera="garden") == "sent", "another camera has its own slot"
    assert [a.camera_id for a in door.queue.sent] == ["porch", "garden"]
    assert len(door.log.events) == 3, "every frame is recorded"


def test_disarmed_strangers_are_recorded_but_not_alerted_and_barred_still_are(
    door: Door,
) -> None:
    door.ssm.values[ARMED] = "disarmed"
    assert door.frame([]) == "disarmed"
    assert door.frame([match("eileen-collins", 99.0)]) == "sent"

    stranger, barred = door.log.events
    assert stranger.severity == "warning" and stranger.faces[0].status == "stranger"
    assert barred.severity == "critical" and barred.alert_status == "sent"
    assert [a.reason for a in door.queue.sent] == ["barred-person"]
    assert list(door.state.slots) == ["cooldown#porch#eileen-collins"]


def test_a_missing_armed_parameter_counts_as_armed(door: Door) -> None:
    del door.ssm.values[ARMED]
    assert door.frame([]) == "sent"


def test_two_faces_are_searched_one_by_one(door: Door) -> None:
    door.frame([match("grace-hopper", 97.0)], [])
    (event,) = door.log.events
    assert [f.status for f in event.faces] == ["known", "stranger"]
    assert door.camera.calls == 3  # DetectFaces, then one SearchFacesByImage per face
