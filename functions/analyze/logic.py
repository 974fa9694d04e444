"""analyze: one frame (or one face-search stream record) -> faces, decisions, records, alert.

The steps live in their own modules: recognition.py (who is in the image), alerting.py
(arming, cooldown, the queued Alert). This module validates the input, writes the records
(audit JSON, Sightings, Events, the classification tag) and returns the outcome.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath

from adapters.faces import ImageNotAccepted, image_source
from adapters.tables import sighting_item
from core.decisions import alarm_hits, assess, frame_severity
from core.imaging import MAX_S3_IMAGE_BYTES, ImageRejected, load_image
from core.records import (
    FrameMeta,
    StreamFaces,
    frame_meta,
    is_frame_key,
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
from functions.analyze.recognition import Findings, Recognizer

CLASSIFICATION_TAG = "classification"


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


def _digest(text: str | bytes, length: int) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:length]


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
        self.recognizer = Recognizer(ports.faces, ports.people, settings)
        self.alerter = Alerter(
            state=ports.state,
            alerts=ports.alerts,
            parameters=ports.parameters,
            settings=settings,
            clock=clock,
        )

    # ---- frames from the uploads bucket -------------------------------------------------

    def analyze_frame(self, frame: FrameRef, event_time: str = "") -> FrameOutcome:
        """Validate, recognise, record. Bad input (not JPEG/PNG, corrupt, too small or too
        large, refused by Rekognition) is tagged `classification=rejected` and reported as
        such; only infrastructure faults raise."""
        if not is_frame_key(frame.key):
            return FrameOutcome(status="ignored", reason="outside frames/ and kvs/")
        storage = self.ports.storage
        head = storage.head(frame.bucket, frame.key)
        if head is None:
            return FrameOutcome(status="gone", reason="object no longer exists")
        meta = frame_meta(frame.key, head.metadata, parse_time(event_time) or self.clock())
        if head.size > MAX_S3_IMAGE_BYTES:
            return self._reject(frame, meta, "too-large")
        data = storage.read(frame.bucket, frame.key)
        try:
            image = load_image(data)
        except ImageRejected as rejected:
            return self._reject(frame, meta, rejected.reason)
        source = image_source(data, frame.bucket, frame.key)
        try:
            findings = self.recognizer.look(source, image, labels=meta.kind == "motion")
        except ImageNotAccepted as exc:
            return self._reject(frame, meta, exc.code)
        captured = iso_utc(meta.captured_at)
        image_hash = _digest(data, 16)
        record = self._record(
            meta,
            captured=captured,
            image_hash=image_hash,
            image_name=PurePosixPath(frame.key).stem,
            findings=findings,
            bucket=frame.bucket,
            key=frame.key,
            alert_id=_digest(f"{frame.bucket}/{frame.key}#{frame.etag}", 32),
        )
        storage.tag(
            frame.bucket, frame.key, CLASSIFICATION_TAG, "alarm" if record.alarm else "quiet"
        )
        return self._outcome(record)

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
        record = self._record(
            meta,
            captured=iso_utc(found.captured_at),
            image_hash=image_hash,
            image_name=f"stream-{image_hash}",
            findings=Findings(faces=faces, raw={"FaceSearchResponse": found.raw}),
            source="stream",
            alert_id=_digest(record_id, 32),
        )
        return self._outcome(record)

    # ---- shared: write the results, then decide and alert ------------------------------

    def _record(
        self,
        meta: FrameMeta,
        *,
        captured: str,
        image_hash: str,
        image_name: str,
        findings: Findings,
        alert_id: str,
        bucket: str = "",
        key: str = "",
        source: Source = "frame",
    ) -> EventRecord:
        """Raw responses, Sightings, the alert (if owed), the Events item, processed JSON.
        Every write is keyed by the input, so a retried record rewrites the same items."""
        settings, storage = self.settings, self.ports.storage
        camera = meta.camera_id
        prefix = f"{camera}/{captured[:10]}/{key_safe(image_name)}"
        for op, response in findings.raw.items():
            storage.put_json(settings.audit_bucket, f"rekognition/{prefix}/{op}.json", response)
        hits = alarm_hits(findings.labels, settings.alarm_labels)
        plan = assess(findings.faces, hits)
        severity = frame_severity(plan)
        record = EventRecord(
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
        )
        self.ports.sightings.put_many([sighting_item(record, f) for f in record.faces])
        record = record.model_copy(update={"alert_status": self.alerter.alert(plan, record)})
        self.ports.events.put(record)
        storage.put_json(
            settings.audit_bucket, record.processed_key, record.model_dump(mode="json")
        )
        return record

    @staticmethod
    def _outcome(record: EventRecord) -> FrameOutcome:
        return FrameOutcome(
            status="analyzed",
            camera_id=record.camera_id,
            event_time=record.event_time,
            severity=record.severity,
            faces=len(record.faces),
            alert_id=record.alert_id,
            alerted=record.alert_status == "sent",
        )
