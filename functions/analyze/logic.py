"""analyze: one frame (or one face-search stream record) -> faces, decisions, records, alert."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from shared.adapters.faces import FaceIndex, ImageNotAccepted, image_bytes, image_in_s3
from shared.adapters.messaging import AlertQueue, Parameters
from shared.adapters.storage import Storage
from shared.adapters.tables import (
    EventsTable,
    PeopleTable,
    SightingsTable,
    StateTable,
    sighting_item,
)
from shared.decisions import (
    AlertPlan,
    Candidate,
    Thresholds,
    alarm_hits,
    assess,
    classify_face,
    cooldown_key,
    frame_severity,
    is_armed,
    narrow,
    should_alert,
)
from shared.imaging import (
    MAX_INLINE_IMAGE_BYTES,
    MAX_S3_IMAGE_BYTES,
    ImageRejected,
    crop_jpeg,
    crop_region,
    load_image,
)
from shared.records import (
    FrameMeta,
    StreamFaces,
    frame_meta,
    is_frame_key,
    iso_utc,
    key_safe,
    parse_time,
)
from shared.schemas import (
    Alert,
    BoundingBox,
    Emotion,
    EventRecord,
    FaceResult,
    FrameOutcome,
    FrameRef,
    Label,
    Person,
    PersonRef,
)
from shared.settings import AnalyzeSettings

CLASSIFICATION_TAG = "classification"
SEARCH_MAX_FACES = 3
TOP_EMOTIONS = 3


@dataclass(frozen=True)
class Ports:
    storage: Storage
    faces: FaceIndex
    people: PeopleTable
    events: EventsTable
    sightings: SightingsTable
    state: StateTable
    alerts: AlertQueue
    parameters: Parameters


@dataclass
class _Findings:
    """What Rekognition said about one image, before it is written anywhere."""

    faces: list[FaceResult]
    labels: list[Label] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def _digest(text: str | bytes, length: int) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:length]


def _emotions(detail: Mapping[str, Any]) -> list[Emotion]:
    ranked = sorted(detail.get("Emotions") or [], key=lambda e: -float(e.get("Confidence", 0)))
    return [
        Emotion(type=e.get("Type", ""), confidence=float(e.get("Confidence", 0)))
        for e in ranked[:TOP_EMOTIONS]
    ]


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
        self.thresholds = Thresholds(
            known=settings.known_threshold,
            barred=settings.barred_threshold,
            possible=settings.possible_match_threshold,
        )

    # ---- frames from the uploads bucket -------------------------------------------------

    def analyze_frame(self, frame: FrameRef, event_time: str = "") -> FrameOutcome:
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
        source = (
            image_bytes(data)
            if len(data) <= MAX_INLINE_IMAGE_BYTES
            else image_in_s3(frame.bucket, frame.key)
        )
        try:
            findings = self._look(source, image, labels=meta.kind == "motion")
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

    def _look(self, source: dict[str, Any], image: Any, *, labels: bool) -> _Findings:
        faces = self.ports.faces
        detected = faces.detect_faces(source, all_attributes=True)
        raw: dict[str, Any] = {"DetectFaces": detected}
        details = detected.get("FaceDetails", [])
        matches: list[list[dict[str, Any]]] = []
        for index, detail in enumerate(details):
            box = BoundingBox.from_aws(detail.get("BoundingBox", {}))
            region = crop_region(box, image.width, image.height)
            if region is None:
                matches.append([])
                continue
            try:
                found = faces.search_face(
                    image_bytes(crop_jpeg(image, region)),
                    threshold=self.settings.possible_match_threshold,
                    max_faces=SEARCH_MAX_FACES,
                )
            except ImageNotAccepted as exc:  # the crop holds no searchable face
                found = {"FaceMatches": [], "Error": exc.code}
            raw[f"SearchFacesByImage-{index}"] = found
            matches.append(found.get("FaceMatches", []))
        people = self._people(m["Face"].get("ExternalImageId", "") for ms in matches for m in ms)
        results = []
        for index, (detail, face_matches) in enumerate(zip(details, matches, strict=True)):
            box = BoundingBox.from_aws(detail.get("BoundingBox", {}))
            searched = f"SearchFacesByImage-{index}" in raw
            candidates = [
                Candidate(
                    person=_person_ref(people[pid], float(m.get("Similarity", 0))),
                    face_id=m["Face"].get("FaceId", ""),
                )
                for m in face_matches
                if (pid := m["Face"].get("ExternalImageId", "")) in people
            ]
            confidence = float(detail.get("Confidence", 0))
            results.append(
                self._face(index, box, confidence, candidates, searched, _emotions(detail))
            )
        findings = _Findings(faces=results, raw=raw)
        if labels or self.settings.labels_on_every_image:
            response = faces.detect_labels(source)
            raw["DetectLabels"] = response
            findings.labels = [
                Label(name=lab.get("Name", ""), confidence=float(lab.get("Confidence", 0)))
                for lab in response.get("Labels", [])
            ]
        return findings

    def _face(
        self,
        index: int,
        box: BoundingBox,
        confidence: float,
        candidates: Sequence[Candidate],
        searched: bool,
        emotions: Sequence[Emotion] = (),
    ) -> FaceResult:
        common = {
            "index": index,
            "bounding_box": box,
            "confidence": confidence,
            "emotions": list(emotions),
        }
        if not searched:
            return FaceResult(status="too-small", **common)
        verdict = classify_face(candidates, self.thresholds)
        return FaceResult(
            status=verdict.status,
            **common,
            person=verdict.person,
            possible_match=verdict.possible_match,
            face_id=verdict.face_id,
        )

    def _people(self, person_ids: Any) -> dict[str, Person]:
        wanted = {pid for pid in person_ids if pid}
        return self.ports.people.get_many(wanted) if wanted else {}

    # ---- face-search records from a stream processor -----------------------------------

    def analyze_stream(self, record_id: str, found: StreamFaces) -> FrameOutcome:
        if not found.faces:
            return FrameOutcome(status="ignored", reason="no faces in record")
        people = self._people(m.person_id for f in found.faces for m in f.matches)
        faces = [
            self._face(
                index,
                face.bounding_box,
                face.confidence,
                [
                    Candidate(_person_ref(people[m.person_id], m.similarity), m.face_id)
                    for m in face.matches
                    if m.person_id in people
                ],
                searched=True,
            )
            for index, face in enumerate(found.faces)
        ]
        image_hash = _digest(record_id, 16)
        meta = FrameMeta(camera_id=found.camera_id, captured_at=found.captured_at)
        record = self._record(
            meta,
            captured=iso_utc(found.captured_at),
            image_hash=image_hash,
            image_name=f"stream-{image_hash}",
            findings=_Findings(faces=faces, raw={"FaceSearchResponse": found.raw}),
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
        findings: _Findings,
        alert_id: str,
        bucket: str = "",
        key: str = "",
        source: str = "frame",
    ) -> EventRecord:
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
            event_time=f"{captured}#{image_hash}",
            captured_at=captured,
            image_hash=image_hash,
            bucket=bucket,
            image_key=key,
            kind=meta.kind,
            track_id=meta.track_id,
            local_match=meta.local_match,
            source=source,  # type: ignore[arg-type]
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
        record = record.model_copy(update={"alert_status": self._alert(plan, record)})
        self.ports.events.put(record)
        storage.put_json(
            settings.audit_bucket, record.processed_key, record.model_dump(mode="json")
        )
        return record

    def _alert(self, plan: AlertPlan | None, record: EventRecord) -> str:
        """ "sent", or why not: "none", "disarmed", "cooldown"."""
        if plan is None:
            return "none"
        armed = is_armed(self.ports.parameters.get(self.settings.armed_parameter))
        if not should_alert(plan, armed=armed):
            return "disarmed"
        now = int(self.clock().timestamp())
        owed = narrow(
            plan,
            armed=armed,
            free=lambda identity: self.ports.state.acquire_cooldown(
                cooldown_key(record.camera_id, identity),
                holder=record.alert_id,
                now=now,
                seconds=self.settings.cooldown_seconds,
            ),
        )
        if owed is None:
            return "cooldown"
        plan = owed
        self.ports.alerts.send(
            Alert(
                alert_id=record.alert_id,
                severity=plan.severity,  # type: ignore[arg-type]
                reason=plan.reason,
                camera_id=record.camera_id,
                event_time=record.captured_at,
                bucket=record.bucket,
                key=record.image_key,
                people=[f.person for f in record.faces if f.person],
                unknown_faces=sum(f.status == "stranger" for f in record.faces),
                labels=record.alarm_labels,
                source=record.source,
                possible_matches=[f.possible_match for f in record.faces if f.possible_match],
            )
        )
        return "sent"

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


def _person_ref(person: Person, similarity: float) -> PersonRef:
    return PersonRef(
        person_id=person.person_id,
        name=person.name,
        watchlist=person.watchlist,
        similarity=round(similarity, 2),
    )
