"""Reading the Events table: what happened, where, and who was in it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.discovery import Target
from adapters.strangers import StrangerTable
from core.schemas import UNKNOWN_PERSON
from core.strangers import is_stranger_id, short_id
from core.tablekeys import sort_key_time

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
EVENT_ID_LENGTH = 8


def parse_since(value: str | None, now: datetime | None = None) -> datetime | None:
    """ "2h", "30m", "7d", "1w" before now, or an ISO 8601 time (UTC when it has no zone)."""
    if value is None or not value.strip():
        return None
    now = now or datetime.now(UTC)
    match = _DURATION.match(value)
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        return now - timedelta(**{_UNITS[unit]: amount})
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"--since {value!r}: use a duration like 30m, 2h, 7d or an ISO time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sort_key_floor(moment: datetime) -> str:
    """The smallest `event_time` sort key at or after `moment` (keys start with ISO UTC)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class FaceView:
    person_id: str
    name: str
    status: str  # known | barred | stranger | too-small
    similarity: float | None
    box: dict[str, float]
    possible_match: str = ""
    why_unknown: str = ""  # why the face was not named, in words (core.face_quality)
    why_code: str = ""  # its code: too-small, turned-away, blurred, ... ("" when named)
    stranger_id: str = ""  # a remembered stranger (core.strangers)
    stranger_sightings: int = 0  # as counted when this event was recorded
    named_as: str = ""  # the name the stranger was given since (`doorman name`)
    named_person_id: str = ""  # and that person's id

    @property
    def label(self) -> str:
        if self.status in {"known", "barred"}:
            return self.name or self.person_id
        if self.status == "stranger" and self.stranger_id:
            stranger = f"stranger {short_id(self.stranger_id)}"
            return f"{self.named_as} (was {stranger})" if self.named_as else stranger
        return "stranger" if self.status == "stranger" else self.status


@dataclass(frozen=True)
class EventView:
    camera_id: str
    event_time: str  # the sort key
    captured_at: str
    severity: str
    alarm: bool
    alerted: bool
    bucket: str
    image_key: str
    processed_key: str
    kind: str
    alert_status: str = "none"  # sent, none, disarmed, no-rule, silenced, cooldown, ...
    labels: list[str] = field(default_factory=list)
    faces: list[FaceView] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    rule: str = ""  # the alert rule that decided (core/rules.py); "" when none did

    @property
    def who(self) -> str:
        names = [f.label for f in self.faces]
        if not names and self.labels:
            return "motion: " + ", ".join(self.labels)
        return ", ".join(names) or "-"

    @property
    def event_id(self) -> str:
        """What `doorman correct` takes: 8 hex digits of a hash of the Events key (camera and
        sort key; the frame's own hash alone repeats when the same picture comes twice)."""
        return event_id(self.camera_id, self.event_time)

    @property
    def people(self) -> set[str]:
        """Who is in the event: person ids ("unknown" for every stranger) and the ids of
        remembered strangers."""
        ids = {f.person_id for f in self.faces if f.status != "too-small"}
        ids |= {f.named_person_id for f in self.faces if f.named_person_id}
        return ids | {f.stranger_id for f in self.faces if f.stranger_id}

    def to_json(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "camera_id": self.camera_id,
            "event_time": self.event_time,
            "captured_at": self.captured_at,
            "severity": self.severity,
            "alarm": self.alarm,
            "alerted": self.alerted,
            "alert_status": self.alert_status,
            "rule": self.rule,
            "bucket": self.bucket,
            "image_key": self.image_key,
            "processed_key": self.processed_key,
            "kind": self.kind,
            "labels": self.labels,
            "faces": [
                {
                    "person_id": f.person_id,
                    "name": f.name,
                    "status": f.status,
                    "similarity": f.similarity,
                    "bounding_box": f.box,
                    "possible_match": f.possible_match,
                    "why_unknown": f.why_unknown,
                    "stranger_id": f.stranger_id,
                    "named_as": f.named_as,
                }
                for f in self.faces
            ],
        }


def event_id(camera_id: str, event_time: str) -> str:
    return hashlib.sha256(f"{camera_id}/{event_time}".encode()).hexdigest()[:EVENT_ID_LENGTH]


def _possible(possible: dict[str, Any]) -> str:
    if possible.get("similarity") is None:
        return ""
    who = possible.get("name") or possible.get("person_id")
    return f"{who} ({float(possible['similarity']):.0f}%)"


def face_view(face: dict[str, Any]) -> FaceView:
    person = face.get("person") or {}
    possible = face.get("possible_match") or {}
    stranger = face.get("stranger") or {}
    status = str(face.get("status", "stranger"))
    similarity = person.get("similarity")
    if similarity is None and possible:
        similarity = possible.get("similarity")
    return FaceView(
        person_id=str(person.get("person_id") or UNKNOWN_PERSON),
        name=str(person.get("name", "")),
        status=status,
        similarity=float(similarity) if similarity is not None else None,
        box={k: float(v) for k, v in (face.get("bounding_box") or {}).items()},
        possible_match=_possible(possible),
        why_unknown=str((face.get("why_unknown") or {}).get("text", "")),
        why_code=str((face.get("why_unknown") or {}).get("code", "")),
        stranger_id=str(stranger.get("stranger_id", "")),
        stranger_sightings=int(stranger.get("sightings", 0)),
    )


def event_view(item: dict[str, Any]) -> EventView:
    labels = item.get("alarm_labels") or [
        label.get("name", "") if isinstance(label, dict) else str(label)
        for label in item.get("labels") or []
    ]
    return EventView(
        camera_id=str(item.get("camera_id", "")),
        event_time=str(item.get("event_time", "")),
        captured_at=str(item.get("captured_at") or sort_key_time(str(item.get("event_time", "")))),
        severity=str(item.get("severity", "info")),
        alarm=bool(item.get("alarm", False)),
        alerted=item.get("alert_status") == "sent",
        alert_status=str(item.get("alert_status", "none")),
        rule=str(item.get("rule", "")),
        bucket=str(item.get("bucket", "")),
        image_key=str(item.get("image_key", "")),
        processed_key=str(item.get("processed_key", "")),
        kind=str(item.get("kind", "face")),
        labels=[str(x) for x in labels],
        faces=[face_view(f) for f in item.get("faces") or []],
        raw=item,
    )


def list_events(
    target: Target,
    since: datetime | None = None,
    camera: str | None = None,
    person_id: str | None = None,
) -> list[EventView]:
    """Events, oldest first. One camera is a Query; all cameras is a Scan (fine for a home)."""
    table = target.tables().events
    floor = sort_key_floor(since) if since else ""
    items = table.of_camera(camera, since=floor) if camera else table.every(since=floor)
    events = [event_view(item) for item in items]
    events = with_stranger_names(events, stranger_names(target, events))
    if person_id:
        events = [e for e in events if person_id in e.people]
    return sorted(events, key=lambda e: (e.captured_at, e.camera_id))


def stranger_names(target: Target, events: list[EventView]) -> dict[str, tuple[str, str]]:
    """stranger id -> (person id, name) it was given since (`doorman name`, `doorman merge`;
    a stranger merged into another takes that one's), for these events."""
    if not target.resources.strangers_collection_id:
        return {}
    if not any(f.stranger_id for e in events for f in e.faces):
        return {}
    records = StrangerTable(target.client("dynamodb"), target.resources.state_table).all()
    named = {s.stranger_id: s.named_as for s in records if s.named_as}
    if not named:
        return {}
    people = {p.person_id: p.name for p in target.tables().people.all()}
    out: dict[str, tuple[str, str]] = {}
    for sid, pid in named.items():
        for _ in range(len(named)):  # merged into a stranger that was named (or merged)
            if pid not in named:
                break
            pid = named[pid]
        if pid in people:
            out[sid] = (pid, people[pid])
        elif is_stranger_id(pid):
            out[sid] = (pid, f"stranger {short_id(pid)}")
    return out


def with_stranger_names(
    events: list[EventView], names: dict[str, tuple[str, str]]
) -> list[EventView]:
    """Past events of a stranger who has been named (or merged) show who it is now."""
    if not names:
        return events
    return [
        replace(
            e,
            faces=[
                replace(
                    f, named_person_id=names[f.stranger_id][0], named_as=names[f.stranger_id][1]
                )
                if f.stranger_id in names
                else f
                for f in e.faces
            ],
        )
        for e in events
    ]
