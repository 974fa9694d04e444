"""analyze's Analyzer over in-memory ports: what a frame records and what it alerts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aws_lambda_powertools import Logger, Metrics

from core.schemas import FrameOutcome, FrameRef, Person
from core.settings import AnalyzeSettings
from functions.analyze.logic import Analyzer, Ports
from functions.analyze.reporting import report
from tests.unit.functions.fakes import (
    AlertQueue,
    Bucket,
    Camera,
    Log,
    People,
    Ssm,
    State,
    analyze_settings,
    jpeg,
    match,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ARMED = "/doorman/armed"
SETTINGS = analyze_settings(
    armed_parameter=ARMED,
    cooldown_seconds=300,
    cameras=["front-door", "garden", "side-gate", "gate", "porch"],
)


def person(person_id: str, name: str, watchlist: str) -> Person:
    stamp = "2026-04-01T00:00:00.000Z"
    return Person(
        person_id=person_id, name=name, watchlist=watchlist, enrolled_at=stamp, updated_at=stamp
    )


class Door:
    """An Analyzer wired to fakes, with a way to upload frames."""

    def __init__(self, settings: AnalyzeSettings = SETTINGS) -> None:
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
        self.analyzer = Analyzer(ports, settings, clock=lambda: NOW)
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
    assert list(door.state.slots) == ["cooldown#porch#eileen-collins", "cooldown#*#eileen-collins"]


def test_a_missing_armed_parameter_counts_as_armed(door: Door) -> None:
    del door.ssm.values[ARMED]
    assert door.frame([]) == "sent"


def test_two_faces_are_searched_one_by_one(door: Door) -> None:
    door.frame([match("grace-hopper", 97.0)], [])
    (event,) = door.log.events
    assert [f.status for f in event.faces] == ["known", "stranger"]
    assert door.camera.calls == 3  # DetectFaces, then one SearchFacesByImage per face


# ---- kvs/: images KVS image generation writes, one every 2 s whatever the camera sees ----

ACCOUNT = "111122223333"
PRODUCER_MS = 1777636790250  # 2026-05-01T11:59:50.250Z, ten seconds before NOW
EVENT_TIME = "2026-05-01T12:00:00.000Z"


def kvs_key(camera: str = "porch", timecode: int = PRODUCER_MS) -> str:
    """Where KVS delivers an image for stream Doorman-{camera} with Uri s3://uploads/kvs/{camera}
    (https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/s3-real-time-image-create.html)."""
    return f"kvs/{camera}/{ACCOUNT}_Doorman-{camera}_{timecode}_f20f9add-7e57-4399-a30f-fc7a.jpg"


def kvs_metadata(producer: int = PRODUCER_MS, server: int = PRODUCER_MS + 350) -> dict[str, str]:
    """The object metadata KVS sets on a generated image (its doc's head-object example)."""
    return {
        "aws_kinesisvideo_producer_timestamp": str(producer),
        "aws_kinesisvideo_server_timestamp": str(server),
        "aws_kinesisvideo_fragment_number": "91343852333182036507421233921329142742245756394",
    }


def deliver(door: Door, key: str, metadata: dict[str, str], *faces: list[dict]) -> FrameOutcome:
    door.bucket.put("uploads", key, jpeg(shade=77), metadata)
    door.camera.shows(*faces)
    return door.analyzer.analyze_frame(FrameRef(bucket="uploads", key=key, etag="e"), EVENT_TIME)


def test_a_kvs_image_with_no_face_is_tagged_quiet_and_records_nothing(door: Door) -> None:
    key = kvs_key()
    outcome = deliver(door, key, kvs_metadata())

    assert (outcome.status, outcome.reason, outcome.camera_id) == ("analyzed", "quiet", "porch")
    assert outcome.event_time == "" and outcome.faces == 0 and not outcome.alerted
    assert door.bucket.object_tags["uploads", key] == {"classification": "quiet"}
    assert door.log.events == [] and door.log.sightings == []
    assert door.bucket.documents == {}, "no processed JSON and no raw Rekognition responses"
    assert door.queue.sent == [] and door.state.slots == {}
    assert door.camera.calls == 1, "DetectFaces only"


def test_a_kvs_image_whose_labels_hit_the_alarm_list_is_recorded() -> None:
    door = Door(SETTINGS.model_copy(update={"labels_on_every_image": True}))
    door.camera.labels = ["Person"]
    key = kvs_key()
    outcome = deliver(door, key, kvs_metadata())

    assert outcome.status == "analyzed" and outcome.reason == ""
    (event,) = door.log.events
    assert event.image_key == key and event.alarm_labels == ["Person"]
    assert door.bucket.object_tags["uploads", key] == {"classification": "alarm"}
    assert [a.reason for a in door.queue.sent] == ["alarm-label"]


def test_a_kvs_image_with_labels_off_the_alarm_list_is_still_quiet() -> None:
    door = Door(SETTINGS.model_copy(update={"labels_on_every_image": True}))
    door.camera.labels = ["Tree", "Car"]
    key = kvs_key()
    assert deliver(door, key, kvs_metadata()).reason == "quiet"
    assert door.log.events == [] and door.bucket.documents == {}
    assert door.bucket.object_tags["uploads", key] == {"classification": "quiet"}


def test_a_kvs_image_with_a_face_is_recorded_as_before(door: Door) -> None:
    key = kvs_key()
    outcome = deliver(door, key, kvs_metadata(), [match("grace-hopper", 97.0)])

    assert outcome.status == "analyzed" and outcome.reason == "" and outcome.faces == 1
    (event,) = door.log.events
    assert event.image_key == key and event.faces[0].status == "known"
    assert ("audit", event.processed_key) in door.bucket.documents
    assert door.bucket.object_tags["uploads", key] == {"classification": "quiet"}


def test_an_edge_frame_with_no_face_is_still_recorded(door: Door) -> None:
    """The edge uploads only frames worth recording, so its face-less frames keep their
    Events item (the street's motion snapshot in the demo)."""
    assert door.frame() == "none"
    (event,) = door.log.events
    assert event.faces == [] and event.severity == "info"
    assert ("audit", event.processed_key) in door.bucket.documents


def test_a_kvs_event_carries_the_producer_timestamp_not_the_s3_event_time(door: Door) -> None:
    deliver(door, kvs_key(), kvs_metadata(), [])

    (event,) = door.log.events
    assert event.captured_at == "2026-05-01T11:59:50.250Z"
    assert event.event_time.startswith("2026-05-01T11:59:50.250Z#")
    assert event.captured_at_refused == ""


def test_a_kvs_producer_timestamp_outside_the_window_falls_back_to_the_server_timestamp(
    door: Door,
) -> None:
    """A camera whose clock never got set (1970) stamps its fragments with it; KVS's own
    server timestamp is used instead, and the refused value is kept."""
    deliver(door, kvs_key(), kvs_metadata(producer=42_000, server=PRODUCER_MS + 350), [])

    (event,) = door.log.events
    assert event.captured_at == "2026-05-01T11:59:50.600Z"
    assert event.captured_at_refused == "42000"


def test_a_kvs_image_without_metadata_takes_the_timecode_in_its_name(door: Door) -> None:
    deliver(door, kvs_key(timecode=PRODUCER_MS - 5000), {}, [])
    (event,) = door.log.events
    assert event.captured_at == "2026-05-01T11:59:45.250Z"


def test_kvs_timestamps_are_bounded_by_the_capture_window(door: Door) -> None:
    ahead = PRODUCER_MS + 3600_000  # an hour past the S3 event: more than CAPTURE_MAX_LEAD
    deliver(door, kvs_key(timecode=ahead), kvs_metadata(producer=ahead, server=ahead), [])
    (event,) = door.log.events
    assert event.captured_at == EVENT_TIME
    assert event.captured_at_refused == str(ahead)


def test_report_counts_a_quiet_kvs_image_as_analyzed_and_quiet(door: Door) -> None:
    metrics = Metrics(namespace="Doorman-test", service="analyze")
    metrics.clear_metrics()
    report(Logger(service="analyze-test"), metrics, deliver(door, kvs_key(), kvs_metadata()))
    counted = {name: sum(m["Value"]) for name, m in metrics.metric_set.items()}
    assert counted == {"FramesAnalyzed": 1, "FacesDetected": 0, "FramesQuiet": 1}

    metrics.clear_metrics()
    report(Logger(service="analyze-test"), metrics, deliver(door, kvs_key("gate"), {}, []))
    assert "FramesQuiet" not in metrics.metric_set
    metrics.clear_metrics()
