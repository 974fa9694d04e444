"""Recognition: who is in one image (or one face-search record). Reads, writes nothing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from adapters.faces import ImageNotAccepted, image_bytes
from core.decisions import Candidate, Thresholds, classify_face
from core.imaging import crop_jpeg, crop_region
from core.records import FaceMatch, StreamFaces
from core.schemas import BoundingBox, Emotion, FaceResult, Label, Person, PersonRef
from core.settings import AnalyzeSettings
from functions.analyze.ports import FaceSearch, PeopleDirectory

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
        self, faces: FaceSearch, people: PeopleDirectory, settings: AnalyzeSettings
    ) -> None:
        self.faces = faces
        self.people = people
        self.settings = settings
        self.thresholds = Thresholds(
            known=settings.known_threshold,
            barred=settings.barred_threshold,
            possible=settings.possible_match_threshold,
        )

    def look(self, source: dict[str, Any], image: Image.Image, *, labels: bool) -> Findings:
        """DetectFaces, then SearchFacesByImage on a crop of each face of at least 40 px
        (SearchFacesByImage alone would only search the largest), then DetectLabels when
        `labels` (motion snapshots) or when configured for every image."""
        detected = self.faces.detect_faces(source, all_attributes=True)
        raw: dict[str, Any] = {"DetectFaces": detected}
        details = detected.get("FaceDetails", [])
        matches: list[list[FaceMatch] | None] = []  # None: too small to search
        for index, detail in enumerate(details):
            response = self._search(image, BoundingBox.from_aws(detail.get("BoundingBox", {})))
            if response is None:
                matches.append(None)
                continue
            raw[f"SearchFacesByImage-{index}"] = response
            matches.append([FaceMatch.from_aws(m) for m in response.get("FaceMatches", [])])
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

    def _search(self, image: Image.Image, box: BoundingBox) -> dict[str, Any] | None:
        """SearchFacesByImage on the face's crop, or None when the face is under 40 px."""
        region = crop_region(box, image.width, image.height)
        if region is None:
            return None
        try:
            return self.faces.search_face(
                image_bytes(crop_jpeg(image, region)),
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
        candidates = [
            Candidate(_person_ref(people[m.person_id], m.similarity), m.face_id)
            for m in matches
            if m.person_id in people  # a face whose person was forgotten matches nobody
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
