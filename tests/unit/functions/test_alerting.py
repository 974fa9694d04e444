"""analyze's alerting step: arming, cooldown slots and the Alert it queues (no AWS needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.schemas import Alert, BoundingBox, EventRecord, FaceResult, PersonRef
from functions.analyze.alerting import Alerter
from tests.unit.functions.fakes import analyze_settings

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
SETTINGS = analyze_settings(cooldown_seconds=300)
BOX = BoundingBox(width=0.2, height=0.3, left=0.1, top=0.1)
EILEEN = PersonRef(
    person_id="eileen-collins", name="Eileen Collins", watchlist="barred", similarity=98.0
)


class Cooldowns:
    """The State table's cooldown slots: the condition StateTable.acquire_cooldown writes."""

    def __init__(self) -> None:
        self.slots: dict[str, tuple[str, int]] = {}

    def acquire_cooldown(self, pk: str, *, holder: str, now: int, seconds: int) -> bool:
        taken = self.slots.get(pk)
        if taken and taken[0] != holder and taken[1] >= now:
            return False
        self.slots[pk] = (holder, now + seconds)
        return True


class Queue:
    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> str:
        self.sent.append(alert)
        return f"m-{len(self.sent)}"


class Switch:
    def __init__(self, value: str) -> None:
        self.value = value

    def get(self, name: str) -> str | None:
        assert name == SETTINGS.armed_parameter
        return self.value


@pytest.fixture
def kit() -> tuple[Alerter, Cooldowns, Queue, Switch]:
    state, queue, switch = Cooldowns(), Queue(), Switch("armed")
    alerter = Alerter(
        state=state, alerts=queue, parameters=switch, settings=SETTINGS, clock=lambda: NOW
    )
    return alerter, state, queue, switch


def frame(alert_id: str, *statuses: str) -> EventRecord:
    faces = [
        FaceResult(
            index=n,
            status=status,
            bounding_box=BOX,
            confidence=99.0,
            person=EILEEN if status == "barred" else None,
        )
        for n, status in enumerate(statuses)
    ]
    return EventRecord(
        camera_id="gate",
        event_time=f"2026-05-01T12:00:00.000Z#{alert_id}",
        captured_at="2026-05-01T12:00:00.000Z",
        image_hash=alert_id,
        bucket="uploads",
        image_key=f"frames/gate/2026/05/01/{alert_id}-001.jpg",
        faces=faces,
        severity="info",
        alarm=False,
        processed_key="p",
        alert_id=alert_id,
        expires_at=0,
    )


def send(alerter: Alerter, record: EventRecord) -> str:
    return alerter.alert(record).status


def test_a_stranger_joining_an_alerted_barred_person_gets_a_warning(kit) -> None:
    alerter, _, queue, _ = kit
    assert send(alerter, frame("a1", "barred")) == "sent"
    assert send(alerter, frame("a2", "barred", "stranger")) == "sent"

    first, second = queue.sent
    assert (first.severity, first.reason) == ("critical", "barred-person")
    assert (second.severity, second.reason) == ("warning", "unknown-face")
    assert second.alert_id == "a2" and second.unknown_faces == 1
    assert [p.person_id for p in second.people] == ["eileen-collins"], "the frame still shows her"
    assert second.key == "frames/gate/2026/05/01/a2-001.jpg"


def test_one_alert_per_camera_and_identity_per_cooldown(kit) -> None:
    alerter, state, queue, _ = kit
    assert send(alerter, frame("a1", "stranger")) == "sent"
    assert send(alerter, frame("a2", "stranger")) == "cooldown"
    assert send(alerter, frame("a1", "stranger")) == "sent", "a retry keeps its own slot"
    assert [a.alert_id for a in queue.sent] == ["a1", "a1"]  # notify drops the repeat
    assert state.slots["cooldown#gate#unknown"] == ("a1", int(NOW.timestamp()) + 300)


def test_disarmed_records_strangers_without_taking_a_slot(kit) -> None:
    alerter, state, queue, switch = kit
    switch.value = "disarmed"
    assert send(alerter, frame("a1", "stranger")) == "disarmed"
    assert send(alerter, frame("a2", "known")) == "none"
    assert queue.sent == [] and state.slots == {}

    assert send(alerter, frame("a3", "barred", "stranger")) == "sent"
    (alert,) = queue.sent
    assert (alert.severity, alert.reason) == ("critical", "barred-person")
    assert list(state.slots) == ["cooldown#gate#eileen-collins", "cooldown#*#eileen-collins"]
