"""analyze: one frame (or one face-search stream record) -> faces, decisions, records, alert.

The steps live in their own modules: recognition.py (who is in the image), alerting.py
(arming, cooldown, the queued Alert). This module validates the input, writes the records
(audit JSON, Sightings, Events, the classification tag) and returns the outcome.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from PIL import Image

from adapters.faces import ImageNotAccepted, image_source
from adapters.storage import ObjectChanged
from adapters.tables import sighting_item
from core.decisions import alarm_hits, assess, frame_severity
from core.face_quality import picture_brightness, with_reasons
from core.imaging import MAX_S3_IMAGE_BYTES, ImageRejected, load_image
from core.records import (
    CaptureWindow,
    FrameMeta,
    StreamFaces,
    camera_from_key,
    frame_meta,
    is_frame_key,
    is_kvs_key,
    is_normalised_key,
    iso_utc,
    key_safe,
    parse_time,
)
from core.schemas import EventRecord, FrameOutcome, FrameRef, Source
from core.settings import AnalyzeSettings
from core.tablekeys import event_sort_key
from functions.analyze.alerting import Alerter
from functions.analyze.ports import (
    AlertSink,
    CooldownSlots,
    EventLog,
    FaceSearch,
    FrameStore,
    ParameterReader,
    PeopleDirectory,
    SightingLog,
)
from functions.analyze.privacy import blurred
from functions.analyze.recognition import Findings, Recognizer
from functions.analyze.strangers import StrangerMemory

CLASSIFICATION_TAG = "classification"
# The outcome's reason for a quiet `kvs/` image: analysed, tagged quiet, nothing recorded.
QUIET_REASON = "quiet"
# Rejection reasons of a frame from a camera the stack does not list, or whose key and
# `camera-id` metadata name different cameras (Analyzer._camera_refused).
UNKNOWN_CAMERA = "unknown camera"
CAMERA_MISMATCH = "camera mismatch"
AUDIT_KEY_HASH_CHARS = 12  # of the frame key's SHA-256, in its audit file names


class FrameEvent(EventRecord):
    """The Events item (and processed JSON) analyze writes: an EventRecord, plus the edge's
    `captured-at` when analyze did not believe it and used S3's event time instead."""

    captured_at_refused: str = ""


@dataclass(frozen=True)
class Ports:
    storage: FrameStore
    faces: FaceSearch
    people: PeopleDirectory
    events: EventLog
    sightings: SightingLog
    state: CooldownSlots
    alerts: AlertSink
    parameters: ParameterReader
    strangers: StrangerMemory | None = None  # remembered strangers (strangers.py)


def _digest(text: str | bytes, length: int) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:length]


def _audit_name(key: str) -> str:
    """The audit file name of one frame: its readable stem plus a hash of the whole key, as
    key_safe maps different keys (`a b/t-001.jpg`, `a-b/t-001.jpg`) to one stem."""
    return f"{key_safe(PurePosixPath(key).stem)}-{_digest(key, AUDIT_KEY_HASH_CHARS)}"


class Analyzer:
    def __init__(
        self,
        ports: Ports,
        settings: AnalyzeSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ports = ports
        self.settings = settings
        self.clock = clock
        self.capture_window = CaptureWindow(
            max_age=timedelta(seconds=settings.captured_at_max_age_seconds)
        )
        self.recognizer = Recognizer(ports.faces, ports.people, settings, ports.strangers)
        self.alerter = Alerter(
            state=ports.state,
            alerts=ports.alerts,
            parameters=ports.parameters,
            settings=settings,
            clock=clock,
        )

    # ---- frames from the uploads bucket -------------------------------------------------

    def analyze_frame(self, frame: FrameRef, event_time: str = "") -> FrameOutcome:
        """Validate, recognise, record. Bad input (a key that is not normalised; not
        JPEG/PNG, corrupt, too small or too large, refused by Rekognition) is tagged
        `classification=rejected` and reported as such; only infrastructure faults raise.
        Everything is checked before the first paid Rekognition call: the key, the metadata
        (a captured-at outside the window becomes the event time), the size and the image
        itself, whose bytes are read pinned to the object that was checked. A quiet `kvs/`
        image (no face, no alarm label) is only tagged `classification=quiet`: its outcome
        is `analyzed` with reason QUIET_REASON and no event."""
        if not is_frame_key(frame.key):
            return FrameOutcome(status="ignored", reason="outside frames/ and kvs/")
        storage = self.ports.storage
        head = storage.head(frame.bucket, frame.key)
        if head is None:
            return FrameOutcome(status="gone", reason="object no longer exists")
        meta = frame_meta(
            frame.key,
            head.metadata,
            parse_time(event_time) or self.clock(),
            self.capture_window,
        )
        if not is_normalised_key(frame.key):
            return self._reject(frame, meta, "key-not-normalised")
        if head.size > MAX_S3_IMAGE_BYTES:
            return self._reject(frame, meta, "too-large")
        try:
            data = storage.read(frame.bucket, frame.key, version_id=head.version_id, etag=head.etag)
        except ObjectChanged:  # the new object's own notification analyses it
            return FrameOutcome(status="gone", reason="object replaced since it was checked")
        refused = self._camera_refused(frame.key, head.metadata)
        if refused:
            return self._reject(frame, meta, refused)
        try:
            image = load_image(data)
        except ImageRejected as rejected:
            return self._reject(frame, meta, rejected.reason)
        source = image_source(data, frame.bucket, frame.key, head.version_id)
        alert_id = _digest(f"{frame.bucket}/{frame.key}#{frame.etag}", 32)  # one per frame
        try:
            findings = self.recognizer.look(
                source,
                image,
                labels=meta.kind == "motion",
                camera_id=meta.camera_id,
                captured_at=meta.captured_at,
                origin=alert_id,
            )
        except ImageNotAccepted as exc:
            return self._reject(frame, meta, exc.code)
        findings.faces = with_reasons(  # why each face that was not named was not
            findings.faces,
            findings.raw.get("DetectFaces", {}).get("FaceDetails", []),
            image.width,
            image.height,
            image_brightness=picture_brightness(image),
        )
        if is_kvs_key(frame.key) and self._quiet(findings):
            storage.tag(frame.bucket, frame.key, CLASSIFICATION_TAG, "quiet")
            return FrameOutcome(
                status="analyzed",
                reason=QUIET_REASON,
                camera_id=meta.camera_id,
                severity="info",
            )
        captured = iso_utc(meta.captured_at)
        image_hash = _digest(data, 16)
        record, recorded = self._record(
            meta,
            captured=captured,
            image_hash=image_hash,
            audit_name=_audit_name(frame.key),
            findings=findings,
            bucket=frame.bucket,
            key=frame.key,
            alert_id=alert_id,
            image=image,
        )
        # A blurred copy replaced the upload (privacy_blur): the original lives as long as
        # quiet frames do.
        kept = record.alarm and not record.original_key
        storage.tag(frame.bucket, frame.key, CLASSIFICATION_TAG, "alarm" if kept else "quiet")
        return self._outcome(record, recorded=recorded)

    def _camera_refused(self, key: str, metadata: Mapping[str, str]) -> str:
        """Why the frame's camera is refused, or "". The key names the camera (`frames/` and
        `kvs/` alike); it must be one of the stack's `cameras`, and an edge's `camera-id`
        must name the same one. An edge credential can write any key, so without this one
        stolen credential could alert as any number of cameras, each with its own cooldown."""
        camera = camera_from_key(key)
        if camera not in self.settings.cameras:
            return UNKNOWN_CAMERA
        claimed = metadata.get("camera-id")
        if claimed is not None and claimed != camera:
            return CAMERA_MISMATCH
        return ""

    def _quiet(self, findings: Findings) -> bool:
        """No face and no alarm label. KVS image generation sends every camera's picture on a
        clock (one every 2 s by default: 43,200 a camera-day), not just the frames worth
        recording as the edge does, so such an image is tagged quiet (the lifecycle deletes
        it) and writes no Events, Sightings or audit files."""
        return not findings.faces and not alarm_hits(findings.labels, self.settings.alarm_labels)

    def _reject(self, frame: FrameRef, meta: FrameMeta, reason: str) -> FrameOutcome:
        self.ports.storage.tag(frame.bucket, frame.key, CLASSIFICATION_TAG, "rejected")
        return FrameOutcome(status="rejected", reason=reason, camera_id=meta.camera_id)

    # ---- face-search records from a stream processor -----------------------------------

    def analyze_stream(self, record_id: str, found: StreamFaces) -> FrameOutcome:
        if not found.faces:
            return FrameOutcome(status="ignored", reason="no faces in record")
        faces = self.recognizer.identify(found)
        image_hash = _digest(record_id, 16)
        meta = FrameMeta(camera_id=found.camera_id, captured_at=found.captured_at)
        record, recorded = self._record(
            meta,
            captured=iso_utc(found.captured_at),
            image_hash=image_hash,
            audit_name=f"stream-{image_hash}",
            findings=Findings(faces=faces, raw={"FaceSearchResponse": found.raw}),
            source="stream",
            alert_id=_digest(record_id, 32),
        )
        return self._outcome(record, recorded=recorded)

    # ---- shared: write the results, then decide and alert ------------------------------

    def _record(
        self,
        meta: FrameMeta,
        *,
        captured: str,
        image_hash: str,
        audit_name: str,
        findings: Findings,
        alert_id: str,
        bucket: str = "",
        key: str = "",
        source: Source = "frame",
        image: Image.Image | None = None,
    ) -> tuple[FrameEvent, bool]:
        """Raw responses, Sightings, the alert (if owed), the Events item, processed JSON.
        Every write is keyed by the input, so a retried record rewrites the same items. An
        Events item another upload wrote first (same bytes, same captured-at) is kept with
        its alert status: then the second value is False."""
        settings, storage = self.settings, self.ports.storage
        camera = meta.camera_id
        prefix = f"{camera}/{captured[:10]}/{audit_name}"
        for op, response in findings.raw.items():
            storage.put_json(settings.audit_bucket, f"rekognition/{prefix}/{op}.json", response)
        hits = alarm_hits(findings.labels, settings.alarm_labels)
        plan = assess(findings.faces, hits)
        severity = frame_severity(plan)
        record = FrameEvent(
            camera_id=camera,
            event_time=event_sort_key(captured, image_hash),
            captured_at=captured,
            image_hash=image_hash,
            bucket=bucket,
            image_key=key,
            kind=meta.kind,
            track_id=meta.track_id,
            local_match=meta.local_match,
            source=source,
            faces=findings.faces,
            labels=findings.labels,
            alarm_labels=hits,
            severity=severity,
            alarm=severity != "info",
            processed_key=f"processed/{prefix}.json",
            alert_id=alert_id,
            expires_at=int(
                (self.clock() + timedelta(days=settings.event_retention_days)).timestamp()
            ),
            captured_at_refused=meta.captured_at_refused,
        )
        if image is not None and settings.privacy_blur != "none":
            record = blurred(
                record,
                image,
                mode=settings.privacy_blur,
                alerted=self.alerter.alerted_identities(record),
                storage=storage,
                audit_bucket=settings.audit_bucket,
            )
        self.ports.sightings.put_many([sighting_item(record, f) for f in record.faces])
        decision = self.alerter.alert(record)
        record = record.model_copy(update={"alert_status": decision.status, "rule": decision.rule})
        recorded = self.ports.events.put(record)
        storage.put_json(
            settings.audit_bucket, record.processed_key, record.model_dump(mode="json")
        )
        return record, recorded

    @staticmethod
    def _outcome(record: EventRecord, *, recorded: bool) -> FrameOutcome:
        return FrameOutcome(
            status="analyzed",
            reason="" if recorded else "an earlier upload of this frame holds its event",
            camera_id=record.camera_id,
            event_time=record.event_time,
            severity=record.severity,
            faces=len(record.faces),
            alert_id=record.alert_id,
            alerted=record.alert_status == "sent",
            alert_status=record.alert_status,
        )
