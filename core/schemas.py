"""The records and messages the functions exchange (pydantic models, no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Watchlist = Literal["known", "barred"]
WATCHLISTS: tuple[str, ...] = ("known", "barred")
Severity = Literal["critical", "warning", "info"]
AlertReason = Literal["barred-person", "unknown-face", "alarm-label", "known-person"]
FaceStatus = Literal["known", "barred", "stranger", "too-small"]
Source = Literal["frame", "stream"]
FrameKind = Literal["face", "motion"]
UNKNOWN_PERSON = "unknown"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class BoundingBox(_Model):
    """Rekognition's box: ratios of the image width and height."""

    width: float
    height: float
    left: float
    top: float

    @classmethod
    def from_aws(cls, box: Mapping[str, Any]) -> BoundingBox:
        return cls(
            width=float(box.get("Width", 0.0)),
            height=float(box.get("Height", 0.0)),
            left=float(box.get("Left", 0.0)),
            top=float(box.get("Top", 0.0)),
        )


class Emotion(_Model):
    type: str
    confidence: float


class PersonRef(_Model):
    person_id: str
    name: str
    watchlist: Watchlist
    similarity: float


class StrangerRef(_Model):
    """The remembered stranger a face was (core.strangers): stable id and history so far,
    this sighting included. `similarity` is the strangers-collection match (0 for a new one)."""

    stranger_id: str
    sightings: int
    first_seen: str
    first_camera: str
    similarity: float = 0.0


class Unknown(_Model):
    """Why a face was not named, measured from the face (core.face_quality): a code
    (too-small, partly-covered, turned-away, too-dark, backlit, blurred, small, clear) and
    the words shown to the owner."""

    code: str
    text: str


class FaceResult(_Model):
    """One detected face and what the cloud decided about it."""

    index: int
    status: FaceStatus
    bounding_box: BoundingBox
    confidence: float
    emotions: list[Emotion] = Field(default_factory=list)
    person: PersonRef | None = None
    possible_match: PersonRef | None = None
    face_id: str = ""
    why_unknown: Unknown | None = None  # strangers and too-small faces (core.face_quality)
    stranger: StrangerRef | None = None  # a stranger Doorman remembers (status "stranger")

    @property
    def person_id(self) -> str:
        return self.person.person_id if self.person else UNKNOWN_PERSON


class Label(_Model):
    name: str
    confidence: float


class Alert(_Model):
    """The alerts-queue message (DESIGN.md), plus `possible_matches` for strangers."""

    alert_id: str
    severity: Severity  # "info" only when a rule asks for it (core/rules.py)
    reason: AlertReason
    camera_id: str
    event_time: str
    bucket: str = ""
    key: str = ""
    people: list[PersonRef] = Field(default_factory=list)
    unknown_faces: int = 0
    labels: list[str] = Field(default_factory=list)
    source: Source = "frame"
    possible_matches: list[PersonRef] = Field(default_factory=list)
    # The alert rule that fired (core/rules.py) and its routing. Empty channels: all of
    # them; empty recipients: by severity (critical: owner and authorities, else owner).
    rule: str = ""
    channels: list[Literal["email", "sns", "webhook"]] = Field(default_factory=list)
    recipients: list[Literal["owner", "authorities"]] = Field(default_factory=list)
    # Why each face that was not named was not (core.face_quality), in words.
    why_unknown: list[str] = Field(default_factory=list)
    strangers: list[StrangerRef] = Field(default_factory=list)  # the remembered ones


class FrameRef(_Model):
    """What makes a frame record unique: the idempotency key of analyze."""

    bucket: str
    key: str
    etag: str


class FrameOutcome(_Model):
    status: Literal["analyzed", "rejected", "ignored", "gone"]
    reason: str = ""
    camera_id: str = ""
    event_time: str = ""
    severity: Severity | None = None
    faces: int = 0
    alert_id: str = ""
    alerted: bool = False
    # The Events item's alert_status ("sent", "cooldown", "rate-limited", ...); "" when none.
    alert_status: str = ""


class Person(_Model):
    """A People item. `photos` maps each faces-bucket key to the face ids indexed from it."""

    person_id: str
    name: str
    watchlist: Watchlist
    photos: dict[str, list[str]] = Field(default_factory=dict)
    face_ids: list[str] = Field(default_factory=list)
    enrolled_at: str
    updated_at: str
    version: int = 0


class PhotoRecord(_Model):
    """What the enroll function last concluded about one faces-bucket object."""

    bucket: str
    key: str
    fingerprint: str
    outcome: str
    person_id: str = ""
    face_ids: list[str] = Field(default_factory=list)


class EventRecord(_Model):
    """An Events item; `event_time` is the sort key `captured_at#image_hash`."""

    camera_id: str
    event_time: str
    captured_at: str
    image_hash: str
    bucket: str = ""
    image_key: str = ""
    kind: FrameKind = "face"
    track_id: str = ""
    local_match: str = ""
    source: Source = "frame"
    faces: list[FaceResult] = Field(default_factory=list)
    labels: list[Label] = Field(default_factory=list)
    alarm_labels: list[str] = Field(default_factory=list)
    severity: Severity
    alarm: bool
    processed_key: str
    alert_id: str = ""
    alert_status: str = "none"
    expires_at: int
    # The alert rule that decided this frame (core/rules.py); "" when none did.
    rule: str = ""
    # With privacy_blur, `bucket`/`image_key` are the blurred copy (core/blur.py) and this is
    # the unblurred upload, which expires with the quiet frames; "" when nothing was blurred.
    original_key: str = ""
