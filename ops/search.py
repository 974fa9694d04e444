"""`doorman search PHOTO [--since 30d]`: every sighting of the face in PHOTO.

The largest face of the photo (or the one `--face N` picks) is cut out as analyze cuts
faces, and searched in both collections: the watchlists' (a person, at `known_threshold`'s
default 90; corrections apply) and the strangers' (at `stranger_threshold`'s default). The
timeline joins the person's sightings, the sightings of every stranger the face matches and
of strangers since named as that person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PIL import Image

from adapters.discovery import Target
from adapters.faces import FaceIndex, ImageNotAccepted, image_bytes
from core.corrections import is_negative, vetoed
from core.imaging import MAX_INLINE_IMAGE_BYTES, ImageRejected, crop_jpeg, crop_region, load_image
from core.records import FaceMatch
from core.schemas import BoundingBox
from core.strangers import STRANGER_THRESHOLD, short_id
from ops.events import sort_key_floor
from ops.people import OperatorError, check_photo, sighting_time
from ops.strangers import registry

KNOWN_THRESHOLD = 90.0  # the stack's default known_threshold
MAX_MATCHES = 10


@dataclass(frozen=True)
class Hit:
    time: str
    camera: str
    who: str
    similarity: float | None
    frame: str


@dataclass(frozen=True)
class SearchResult:
    faces: int  # faces found in the photo
    face: int  # the one searched (1-based)
    people: list[str]  # person ids the face matched
    strangers: list[str]  # stranger ids it matched (or that were named as those people)
    hits: list[Hit]

    @property
    def note(self) -> str:
        if self.faces > 1:
            return (
                f"the photo shows {self.faces} faces; searched face {self.face} "
                "(the largest unless --face says otherwise)"
            )
        return ""


def read_photo(path: Path) -> tuple[bytes, Image.Image]:
    """The photo's bytes and picture, or a clear error (no file, not an image, too large)."""
    data, _ = check_photo(path)
    if len(data) > MAX_INLINE_IMAGE_BYTES:
        raise OperatorError(f"{path}: over 5 MB (Rekognition's limit for an image sent inline)")
    try:
        return data, load_image(data)
    except ImageRejected as exc:
        raise OperatorError(f"{path}: not a usable image ({exc.reason})") from exc


def search(
    target: Target, path: Path, since: datetime | None = None, number: int | None = None
) -> SearchResult:
    """Every sighting of the face; a clear error for a photo without a (searchable) face."""
    data, image = read_photo(path)
    res = target.resources
    faces = FaceIndex(target.client("rekognition"), res.collection_id)
    try:
        details = faces.detect_faces(image_bytes(data)).get("FaceDetails", [])
    except ImageNotAccepted as exc:
        raise OperatorError(f"{path}: Rekognition refused the image ({exc.code})") from exc
    if not details:
        raise OperatorError(f"{path}: no face found; use a photo where the face is clear")
    boxes = [BoundingBox.from_aws(d.get("BoundingBox", {})) for d in details]
    order = sorted(range(len(boxes)), key=lambda i: -(boxes[i].width * boxes[i].height))
    if number is not None and not 1 <= number <= len(boxes):
        raise OperatorError(f"{path} shows {len(boxes)} face(s): use --face 1 to {len(boxes)}")
    chosen = order[0] if number is None else order[number - 1]
    region = crop_region(boxes[chosen], image.width, image.height)
    if region is None:
        raise OperatorError(f"{path}: the face is under 40 px; use a closer photo")
    crop = image_bytes(crop_jpeg(image, region))
    try:
        found = faces.search_face(crop, threshold=KNOWN_THRESHOLD, max_faces=MAX_MATCHES)
    except ImageNotAccepted as exc:
        raise OperatorError(f"{path}: the face cannot be searched ({exc.code})") from exc
    matches = [FaceMatch.from_aws(m) for m in found.get("FaceMatches", [])]
    not_them = vetoed(matches)
    people = sorted(
        {m.person_id for m in matches if m.person_id and not is_negative(m.person_id)} - not_them
    )
    stranger_ids: set[str] = set()
    strangers = registry(target) if res.strangers_collection_id else None
    if strangers is not None:
        try:
            near = strangers.faces.search_face(
                crop, threshold=STRANGER_THRESHOLD, max_faces=MAX_MATCHES
            )
        except ImageNotAccepted:
            near = {}
        stranger_ids = {FaceMatch.from_aws(m).person_id for m in near.get("FaceMatches", [])}
        stranger_ids |= {s.stranger_id for s in strangers.all() if s.named_as in people}
        stranger_ids.discard("")
    hits = _timeline(target, people, sorted(stranger_ids), since)
    return SearchResult(len(boxes), order.index(chosen) + 1, people, sorted(stranger_ids), hits)


def _timeline(
    target: Target, people: list[str], stranger_ids: list[str], since: datetime | None
) -> list[Hit]:
    floor = sort_key_floor(since) if since else ""
    tables, hits = target.tables(), []
    names = {p.person_id: p.name for p in tables.people.all()}
    for pid in people:
        for s in tables.sightings.of_person(pid, since=floor):
            hits.append(_hit(s, names.get(pid, pid), s.get("similarity")))
    if stranger_ids:
        sightings = registry(target).sightings
        for sid in stranger_ids:
            for s in sightings.of_stranger(sid):
                if str(s.get("sighting_key", "")) >= floor:
                    hits.append(_hit(s, f"stranger {short_id(sid)}", s.get("stranger_similarity")))
    return sorted(hits, key=lambda h: (h.time, h.camera))


def _hit(sighting: dict, who: str, similarity: object) -> Hit:
    return Hit(
        time=sighting_time(sighting),
        camera=str(sighting.get("camera_id", "")),
        who=who,
        similarity=float(similarity) if isinstance(similarity, int | float) else None,
        frame=str(sighting.get("image_id", "")),
    )
