"""Remembering strangers: a face no watchlist names gets a stable stranger id.

For each such face (with a searchable crop), SearchFacesByImage on the strangers collection
(MaxFaces 1, `stranger_threshold`): a match is that stranger; no match is a new stranger,
whose crop is indexed (IndexFaces, ExternalImageId = the stranger id). The stranger's record
(State `stranger#{id}`) counts the sighting, and keeps the best `stranger_crops` crops by
quality: a crop that makes the cut is indexed and stored in the audit bucket under
`strangers/`, the one it pushes out is deleted from both. So the collection holds at most
`stranger_crops` faces per stranger, the best ones, and later sightings match against them.

AWS: SearchFacesByImage searches the largest face of the image (the crop holds one face) and
returns matches at or above FaceMatchThreshold, best first
(https://docs.aws.amazon.com/rekognition/latest/APIReference/API_SearchFacesByImage.html);
IndexFaces with MaxFaces 1 indexes the largest face, ExternalImageId is ours to set
(https://docs.aws.amazon.com/rekognition/latest/APIReference/API_IndexFaces.html).
Two invocations that meet one new stranger at the same moment (two cameras, one visitor)
both miss in the search. So a new stranger is made under a lease (one at a time, across
invocations): its holder searches again first, and joins a stranger indexed meanwhile. A
lease not had within `LEASE_WAIT_SECONDS` (its holder died) is done without: at worst two
ids, which `doorman merge` joins.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from adapters.faces import Image, ImageNotAccepted, image_bytes
from core.records import iso_utc
from core.schemas import StrangerRef
from core.strangers import (
    CropPlan,
    Stranger,
    StrangerCrop,
    crop_key,
    new_stranger_id,
    plan_crop,
    seen,
)

_WRITE_ATTEMPTS = 5
LEASE_SECONDS = 20.0  # a search, an IndexFaces and two writes take about a second
LEASE_WAIT_SECONDS = 5.0
log = logging.getLogger(__name__)


class StrangerFaces(Protocol):
    """The strangers collection (adapters.faces.FaceIndex on its id)."""

    def search_face(self, image: Image, *, threshold: float, max_faces: int) -> dict[str, Any]: ...

    def index_face(self, image: Image, *, external_image_id: str) -> dict[str, Any]: ...

    def delete_faces(self, face_ids: list[str]) -> int: ...


class StrangerRecords(Protocol):
    """adapters.strangers.StrangerTable."""

    def get(self, stranger_id: str) -> Stranger | None: ...

    def save(self, stranger: Stranger, expected_version: int | None) -> bool: ...


class CreationLease(Protocol):
    """adapters.strangers.StrangerCreationLease."""

    def claim(self, owner: str, *, seconds: float) -> bool: ...

    def release(self, owner: str) -> None: ...


class CropStore(Protocol):
    """The audit bucket (adapters.storage.Storage)."""

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        content_type: str,
        tags: Mapping[str, str] | None = None,
    ) -> str: ...

    def delete(self, bucket: str, key: str) -> None: ...


@dataclass(frozen=True)
class Sighting:
    """One stranger face of one frame: its crop (JPEG) and how good it is."""

    crop: bytes
    quality: float
    camera_id: str
    captured_at: datetime
    origin: str = ""  # the frame and face (`{frame id}#{face index}`): a retry's is the same


class StrangerMemory:
    def __init__(
        self,
        *,
        faces: StrangerFaces,
        records: StrangerRecords,
        crops: CropStore,
        bucket: str,
        threshold: float,
        max_crops: int,
        lease: CreationLease | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.faces = faces
        self.records = records
        self.crops = crops
        self.bucket = bucket
        self.threshold = threshold
        self.max_crops = max_crops
        self.lease = lease
        self.clock = clock

    def remember(self, sighting: Sighting) -> tuple[StrangerRef | None, dict[str, Any]]:
        """The stranger this face is (None when its crop cannot be searched or indexed),
        and the raw responses by operation (for the audit bucket)."""
        raw: dict[str, Any] = {}
        try:
            stranger_id, similarity = self._search(sighting, raw, "StrangerSearch")
            if stranger_id:
                stranger = self._record(stranger_id, sighting, raw)
            else:
                stranger, similarity = self._new_stranger(sighting, raw)
        except ImageNotAccepted:
            return None, raw
        if stranger is None:
            return None, raw
        ref = StrangerRef(
            stranger_id=stranger.stranger_id,
            sightings=stranger.sightings,
            first_seen=stranger.first_seen,
            first_camera=stranger.first_camera,
            similarity=round(similarity, 2),
        )
        return ref, raw

    def _search(self, sighting: Sighting, raw: dict[str, Any], name: str) -> tuple[str, float]:
        """The stranger this face matches ("" for none) and the similarity."""
        found = self.faces.search_face(
            image_bytes(sighting.crop), threshold=self.threshold, max_faces=1
        )
        raw[name] = found
        matches = found.get("FaceMatches") or []
        best = matches[0] if matches else {}
        stranger_id = str((best.get("Face") or {}).get("ExternalImageId", ""))
        return stranger_id, float(best.get("Similarity", 0.0)) if stranger_id else 0.0

    def _new_stranger(
        self, sighting: Sighting, raw: dict[str, Any]
    ) -> tuple[Stranger | None, float]:
        """Under the lease: the stranger indexed meanwhile that this face is, else a new one."""
        with self._creation_lease() as held:
            if held:
                stranger_id, similarity = self._search(sighting, raw, "StrangerSearchAgain")
                if stranger_id:
                    return self._record(stranger_id, sighting, raw), similarity
            return self._record(new_stranger_id(sighting.crop), sighting, raw), 0.0

    @contextmanager
    def _creation_lease(self) -> Iterator[bool]:
        """Hold the lease on making strangers (True), or go on without it (False) when there
        is none to hold or it is not had in time."""
        if self.lease is None:
            yield False
            return
        owner, deadline, pause = uuid.uuid4().hex, time.monotonic() + LEASE_WAIT_SECONDS, 0.05
        while not (held := self.lease.claim(owner, seconds=LEASE_SECONDS)):
            if time.monotonic() >= deadline:
                log.warning(
                    "stranger creation lease not had in %.0f s; going on", LEASE_WAIT_SECONDS
                )
                break
            time.sleep(pause)
            pause = min(pause * 2, 0.4)
        try:
            yield held
        finally:
            if held:
                self.lease.release(owner)

    def _record(self, stranger_id: str, sighting: Sighting, raw: dict[str, Any]) -> Stranger | None:
        """Count the sighting (optimistic locking); index and store the crop when it is one
        of the best. None when a new stranger's face could not be indexed."""
        captured = iso_utc(sighting.captured_at)
        indexed: StrangerCrop | None = None
        for _ in range(_WRITE_ATTEMPTS):
            current = self.records.get(stranger_id)
            if current is not None and current.counted(sighting.origin):
                return current  # a retried frame: counted (and its crop kept) already
            kept = current.crops if current else []
            plan = plan_crop(kept, sighting.quality, self.max_crops)
            if any(c.key == crop_key(stranger_id, sighting.crop) for c in kept):
                plan = CropPlan(keep=False)  # the same picture again: nothing new to keep
            if plan.keep and indexed is None:
                indexed = self._index(stranger_id, sighting, captured, raw)
                if indexed is None and current is None:
                    return None  # a new stranger no collection face stands for
            crop = indexed if plan.keep else None
            updated = seen(
                current,
                stranger_id,
                camera_id=sighting.camera_id,
                captured_at=captured,
                crop=crop,
                evicted=plan.evicted if crop else (),
                origin=sighting.origin,
            )
            expected = current.version if current else None
            updated = updated.model_copy(update={"version": (expected or 0) + 1})
            if self.records.save(updated, expected_version=expected):
                if crop:
                    self._drop(plan.evicted)
                elif indexed:
                    self._drop((indexed,))  # lost its place to a better crop meanwhile
                return updated
        raise RuntimeError(f"stranger record {stranger_id} kept changing")

    def _index(
        self, stranger_id: str, sighting: Sighting, captured: str, raw: dict[str, Any]
    ) -> StrangerCrop | None:
        try:
            response = self.faces.index_face(
                image_bytes(sighting.crop), external_image_id=stranger_id
            )
        except ImageNotAccepted:
            return None
        raw["StrangerIndex"] = response
        records = response.get("FaceRecords") or []
        if not records:
            return None
        key = crop_key(stranger_id, sighting.crop)
        self.crops.put(self.bucket, key, sighting.crop, content_type="image/jpeg")
        return StrangerCrop(
            key=key,
            face_id=str(records[0]["Face"]["FaceId"]),
            quality=sighting.quality,
            captured_at=captured,
            camera_id=sighting.camera_id,
        )

    def _drop(self, crops: tuple[StrangerCrop, ...]) -> None:
        face_ids = [c.face_id for c in crops if c.face_id]
        if face_ids:
            self.faces.delete_faces(face_ids)
        for crop in crops:
            self.crops.delete(self.bucket, crop.key)
