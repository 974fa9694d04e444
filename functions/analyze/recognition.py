"""Recognition: who is in one image (or one face-search record). Reads only, except that
the stranger memory (functions/analyze/strangers.py) records the strangers it sees."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from PIL import Image

from adapters.faces import ImageNotAccepted, image_bytes
from core.corrections import is_negative, vetoed
from core.decisions import Candidate, Thresholds, classify_face
from core.imaging import crop_jpeg, crop_region
from core.records import FaceMatch, StreamFaces
from core.schemas import BoundingBox, Emotion, FaceResult, Label, Person, PersonRef
from core.settings import AnalyzeSettings
from core.strangers import crop_quality
from functions.analyze.ports import FaceSearch, PeopleDirectory
from functions.analyze.strangers import Sighting, StrangerMemory

SEARCH_MAX_FACES = 3
TOP_EMOTIONS = 3


@dataclass
class Findings:
    """What Rekognition said about one image: the faces as decided, the labels, and the raw
    responses by operation (for the audit bucket)."""

    faces: list[FaceResult]
    labels: list[Label] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


class Recognizer:
    def __init__(
        self,
        faces: FaceSearch,
        people: PeopleDirectory,
        settings: AnalyzeSettings,
        strangers: StrangerMemory | None = None,
    ) -> None:
        self.faces = faces
        self.people = people
        self.settings = settings
        self.strangers = strangers  # None: strangers stay anonymous
        self.thresholds = Thresholds(
            known=settings.known_threshold,
            barred=settings.barred_threshold,
            possible=settings.possible_match_threshold,
        )

    def look(
        self,
        source: dict[str, Any],
        image: Image.Image,
        *,
        labels: bool,
        camera_id: str = "",
        captured_at: datetime | None = None,
        origin: str = "",
    ) -> Findings:
        """DetectFaces, then SearchFacesByImage on a crop of each face of at least 40 px
        (SearchFacesByImage alone would only search the largest), then DetectLabels when
        `labels` (motion snapshots) or when configured for every image. With a stranger
        memory, each stranger's crop is then searched in the strangers collection too."""
        detected = self.faces.detect_faces(source, all_attributes=True)
        raw: dict[str, Any] = {"DetectFaces": detected}
        details = detected.get("FaceDetails", [])
        matches: list[list[FaceMatch] | None] = []  # None: too small to search
        crops: dict[int, bytes] = {}
        for index, detail in enumerate(details):
            response = self._search(
                image, BoundingBox.from_aws(detail.get("BoundingBox", {})), crops, index
            )
            if response is None:
                matches.append(None)
                continue
            raw[f"SearchFacesByImage-{index}"] = response
            found = [FaceMatch.from_aws(m) for m in response.get("FaceMatches", [])]
            matches.append(found + self._vote(crops[index], found, index, raw))
        people = self._people(matches)
        findings = Findings(
            faces=[
                self._face(
                    index,
                    BoundingBox.from_aws(detail.get("BoundingBox", {})),
                    float(detail.get("Confidence", 0)),
                    face_matches,
                    people,
                    _emotions(detail),
                )
                for index, (detail, face_matches) in enumerate(zip(details, matches, strict=True))
            ],
            raw=raw,
        )
        if self.strangers is not None and camera_id:
            findings.faces = [
                self._remember(face, crops, details, image, camera_id, captured_at, raw, origin)
                for face in findings.faces
            ]
        if labels or self.settings.labels_on_every_image:
            response = self.faces.detect_labels(source)
            raw["DetectLabels"] = response
            findings.labels = [
                Label(name=lab.get("Name", ""), confidence=float(lab.get("Confidence", 0)))
                for lab in response.get("Labels", [])
            ]
        return findings

    def identify(self, found: StreamFaces) -> list[FaceResult]:
        """The faces of a face-search record; an empty MatchedFaces is a stranger."""
        people = self._people(face.matches for face in found.faces)
        return [
            self._face(index, face.bounding_box, face.confidence, face.matches, people)
            for index, face in enumerate(found.faces)
        ]

    def _remember(
        self,
        face: FaceResult,
        crops: Mapping[int, bytes],
        details: Sequence[Mapping[str, Any]],
        image: Image.Image,
        camera_id: str,
        captured_at: datetime | None,
        raw: dict[str, Any],
        origin: str = "",
    ) -> FaceResult:
        """The face with the remembered stranger it is (only strangers with a crop); `origin`
        names the frame, so a retried frame is not counted twice."""
        crop = crops.get(face.index)
        if face.status != "stranger" or crop is None or self.strangers is None:
            return face
        sighting = Sighting(
            crop=crop,
            quality=crop_quality(details[face.index], image.width, image.height),
            camera_id=camera_id,
            captured_at=captured_at or datetime.now(UTC),
            origin=f"{origin}#{face.index}" if origin else "",
        )
        stranger, responses = self.strangers.remember(sighting)
        for op, response in responses.items():  # StrangerSearch-0, StrangerIndex-0
            raw[f"{op}-{face.index}"] = response
        return face.model_copy(update={"stranger": stranger}) if stranger else face

    def _vote(
        self, crop: bytes, found: list[FaceMatch], index: int, raw: dict[str, Any]
    ) -> list[FaceMatch]:
        """For a borderline face (its best match at least "possible" but under the higher
        watchlist threshold), let each person's photos vote together: SearchUsersByImage on
        the same crop. A user match (UserId = person_id, no FaceId) joins the face matches;
        a person a correction vetoes stays vetoed. Clear matches and strangers with no
        candidate cost nothing extra."""
        not_them = vetoed(found)
        best = max(
            (m.similarity for m in found if m.person_id and not is_negative(m.person_id)),
            default=0.0,
        )
        ceiling = max(self.thresholds.known, self.thresholds.barred)
        if not self.thresholds.possible <= best < ceiling:
            return []
        try:
            response = self.faces.search_users(
                image_bytes(crop), threshold=self.thresholds.possible, max_users=SEARCH_MAX_FACES
            )
        except ImageNotAccepted:
            return []
        raw[f"SearchUsersByImage-{index}"] = response
        votes = [
            FaceMatch(
                person_id=str((u.get("User") or {}).get("UserId", "")),
                face_id="",
                similarity=float(u.get("Similarity", 0.0)),
            )
            for u in response.get("UserMatches", [])
        ]
        return [v for v in votes if v.person_id and v.person_id not in not_them]

    def _search(
        self, image: Image.Image, box: BoundingBox, crops: dict[int, bytes], index: int
    ) -> dict[str, Any] | None:
        """SearchFacesByImage on the face's crop (kept in `crops` for the stranger memory),
        or None when the face is under 40 px."""
        region = crop_region(box, image.width, image.height)
        if region is None:
            return None
        crop = crops[index] = crop_jpeg(image, region)
        try:
            return self.faces.search_face(
                image_bytes(crop),
                threshold=self.settings.possible_match_threshold,
                max_faces=SEARCH_MAX_FACES,
            )
        except ImageNotAccepted as exc:  # the crop holds no searchable face: a stranger
            return {"FaceMatches": [], "Error": exc.code}

    def _face(
        self,
        index: int,
        box: BoundingBox,
        confidence: float,
        matches: Sequence[FaceMatch] | None,
        people: Mapping[str, Person],
        emotions: Sequence[Emotion] = (),
    ) -> FaceResult:
        common = {
            "index": index,
            "bounding_box": box,
            "confidence": confidence,
            "emotions": list(emotions),
        }
        if matches is None:
            return FaceResult(status="too-small", **common)
        not_them = vetoed(matches)  # corrected: closer to a "not P" face than to P's own
        candidates = [
            Candidate(_person_ref(people[m.person_id], m.similarity), m.face_id)
            for m in matches
            if m.person_id in people  # a face whose person was forgotten matches nobody
            and m.person_id not in not_them
        ]
        verdict = classify_face(candidates, self.thresholds)
        return FaceResult(
            status=verdict.status,
            **common,
            person=verdict.person,
            possible_match=verdict.possible_match,
            face_id=verdict.face_id,
        )

    def _people(self, matches: Iterable[Sequence[FaceMatch] | None]) -> dict[str, Person]:
        wanted = {m.person_id for ms in matches for m in ms or () if m.person_id}
        return self.people.get_many(wanted) if wanted else {}


def _emotions(detail: Mapping[str, Any]) -> list[Emotion]:
    ranked = sorted(detail.get("Emotions") or [], key=lambda e: -float(e.get("Confidence", 0)))
    return [
        Emotion(type=e.get("Type", ""), confidence=float(e.get("Confidence", 0)))
        for e in ranked[:TOP_EMOTIONS]
    ]


def _person_ref(person: Person, similarity: float) -> PersonRef:
    return PersonRef(
        person_id=person.person_id,
        name=person.name,
        watchlist=person.watchlist,
        similarity=round(similarity, 2),
    )
