"""Face collections: metadata plus an (N, 128) matrix of encodings, searched with numpy.

With a data directory, each collection lives in one `<CollectionId>.npz` (the matrix and a
JSON metadata string), rewritten atomically (temp file + rename) after every change, so a
restart finds exactly the faces that were acknowledged. One lock guards every collection.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import (
    ConflictException,
    InvalidPaginationTokenException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
)

FACE_MODEL_VERSION = "7.0"
ENCODING_SIZE = 128
# AssociateFaces: "the total number of faces that can be associated with a single UserID is
# also limited to 100" (Rekognition API reference, AssociateFaces).
MAX_USER_FACES = 100


@dataclass(frozen=True)
class StoredFace:
    face_id: str
    image_id: str
    external_image_id: str | None
    bounding_box: dict[str, float]
    confidence: float
    seq: int
    user_id: str | None = None  # the Rekognition user the face is associated with

    def to_api(self) -> dict[str, Any]:
        """The `Face` shape of ListFaces/SearchFaces."""
        face = {
            "FaceId": self.face_id,
            "BoundingBox": self.bounding_box,
            "ImageId": self.image_id,
            "Confidence": self.confidence,
            "IndexFacesModelVersion": FACE_MODEL_VERSION,
        }
        if self.external_image_id is not None:
            face["ExternalImageId"] = self.external_image_id
        if self.user_id is not None:
            face["UserId"] = self.user_id
        return face


@dataclass
class Collection:
    collection_id: str
    arn: str
    created_at: float
    faces: list[StoredFace] = field(default_factory=list)
    vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, ENCODING_SIZE), np.float32))
    next_seq: int = 0
    users: dict[str, float] = field(default_factory=dict)  # UserId -> created_at
    # Derived from `faces` and `vectors` by reindex().
    _rows: dict[str, int] = field(init=False, repr=False)
    _squared_norms: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Refresh the FaceId -> row map and the cached norms after a change."""
        self._rows = {face.face_id: row for row, face in enumerate(self.faces)}
        self._squared_norms = np.einsum("ij,ij->i", self.vectors, self.vectors)

    def row_of(self, face_id: str) -> int | None:
        return self._rows.get(face_id)

    def distances(self, vector: np.ndarray) -> np.ndarray:
        """Euclidean distance from `vector` to every face: |a-b|^2 = |a|^2 + |b|^2 - 2ab.

        einsum, not `@`: a matrix-vector product this small is dominated by BLAS thread
        start-up on a busy machine (0.2 ms single-threaded vs 15 ms with BLAS threads).
        """
        vector = vector.astype(np.float32)
        dots = np.einsum("ij,j->i", self.vectors, vector)
        squared = self._squared_norms + float(np.dot(vector, vector)) - 2.0 * dots
        distances: np.ndarray = np.sqrt(np.maximum(squared, 0.0))
        return distances


@dataclass(frozen=True)
class Match:
    face: StoredFace
    distance: float


def _encode_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidPaginationTokenException("Invalid pagination token.") from exc


class CollectionStore:
    def __init__(self, data_dir: Path | None = None, arn_prefix: str = "") -> None:
        self._data_dir = Path(data_dir) if data_dir else None
        self._arn_prefix = arn_prefix or "aws:rekognition:us-east-1:123456789012:collection/"
        self._lock = threading.RLock()
        self._collections: dict[str, Collection] = {}
        if self._data_dir:
            self._data_dir.mkdir(parents=True, exist_ok=True)
            for leftover in self._data_dir.glob("*.tmp"):  # a save cut short by a crash
                leftover.unlink(missing_ok=True)
            for path in sorted(self._data_dir.glob("*.npz")):
                collection = _load(path)
                self._collections[collection.collection_id] = collection

    # Collections -------------------------------------------------------------------------
    def create(self, collection_id: str) -> Collection:
        with self._lock:
            if collection_id in self._collections:
                raise ResourceAlreadyExistsException(
                    f"The collection id: {collection_id} already exists"
                )
            collection = Collection(collection_id, self._arn_prefix + collection_id, time.time())
            self._collections[collection_id] = collection
            self._save(collection)
            return collection

    def get(self, collection_id: str) -> Collection:
        with self._lock:
            try:
                return self._collections[collection_id]
            except KeyError:
                raise ResourceNotFoundException(
                    f"The collection id: {collection_id} does not exist"
                ) from None

    def delete(self, collection_id: str) -> None:
        with self._lock:
            self.get(collection_id)
            del self._collections[collection_id]
            if self._data_dir:
                self._path(collection_id).unlink(missing_ok=True)

    def list_ids(self, max_results: int, token: str | None) -> tuple[list[str], str | None]:
        with self._lock:
            ids = sorted(self._collections)
        if token:
            after = _decode_token(token)
            ids = [i for i in ids if i > after]
        page = ids[:max_results]
        more = len(ids) > max_results
        return page, (_encode_token(page[-1]) if more and page else None)

    # Faces -------------------------------------------------------------------------------
    def add_faces(
        self,
        collection_id: str,
        entries: list[tuple[str, str, str | None, dict[str, float], float]],
        vectors: np.ndarray,
    ) -> list[StoredFace]:
        """Add (face_id, image_id, external_image_id, bounding_box, confidence) rows."""
        with self._lock:
            collection = self.get(collection_id)
            added = []
            for face_id, image_id, external_id, box, confidence in entries:
                added.append(
                    StoredFace(face_id, image_id, external_id, box, confidence, collection.next_seq)
                )
                collection.next_seq += 1
            collection.faces.extend(added)
            collection.vectors = np.vstack([collection.vectors, vectors.astype(np.float32)])
            collection.reindex()
            self._save(collection)
            return added

    def list_faces(
        self,
        collection_id: str,
        max_results: int,
        token: str | None,
        face_ids: list[str] | None = None,
    ) -> tuple[list[StoredFace], str | None]:
        """One page of faces in index order, optionally only those in `face_ids`."""
        with self._lock:
            faces = list(self.get(collection_id).faces)
        if face_ids:
            wanted = set(face_ids)
            faces = [f for f in faces if f.face_id in wanted]
        if token:
            try:
                after = int(_decode_token(token))
            except ValueError as exc:
                raise InvalidPaginationTokenException("Invalid pagination token.") from exc
            faces = [f for f in faces if f.seq > after]
        page = faces[:max_results]
        more = len(faces) > max_results
        return page, (_encode_token(str(page[-1].seq)) if more and page else None)

    def delete_faces(self, collection_id: str, face_ids: list[str]) -> list[str]:
        """Delete the faces that exist and belong to no user; returns their ids."""
        wanted = set(face_ids)
        with self._lock:
            collection = self.get(collection_id)
            wanted -= {f.face_id for f in collection.faces if f.user_id is not None}
            keep = np.array([f.face_id not in wanted for f in collection.faces], dtype=bool)
            deleted = [f.face_id for f in collection.faces if f.face_id in wanted]
            if deleted:
                collection.faces = [f for f, k in zip(collection.faces, keep, strict=True) if k]
                collection.vectors = collection.vectors[keep]
                collection.reindex()
                self._save(collection)
            return deleted

    def vector_of(self, collection_id: str, face_id: str) -> np.ndarray | None:
        with self._lock:
            collection = self.get(collection_id)
            row = collection.row_of(face_id)
            return None if row is None else collection.vectors[row].copy()

    def search(
        self,
        collection_id: str,
        vector: np.ndarray,
        max_distance: float,
        max_faces: int,
        exclude_face_id: str | None = None,
    ) -> list[Match]:
        """Nearest faces within `max_distance`, closest first (one vectorised pass)."""
        with self._lock:
            collection = self.get(collection_id)
            faces = collection.faces
            if not faces:
                return []
            distances = collection.distances(vector)
        candidates = np.flatnonzero(distances <= max_distance)
        order = candidates[np.argsort(distances[candidates], kind="stable")]
        # Only the first max_faces (+1, in case the excluded face is among them) become
        # objects, so a permissive threshold on a large collection stays vectorised.
        matches = [Match(faces[i], float(distances[i])) for i in order[: max_faces + 1]]
        if exclude_face_id is not None:
            matches = [m for m in matches if m.face.face_id != exclude_face_id]
        return matches[:max_faces]

    # Users -------------------------------------------------------------------------------
    def create_user(self, collection_id: str, user_id: str) -> None:
        with self._lock:
            collection = self.get(collection_id)
            if user_id in collection.users:
                raise ConflictException(f"User {user_id} already exists in {collection_id}.")
            collection.users[user_id] = time.time()
            self._save(collection)

    def delete_user(self, collection_id: str, user_id: str) -> None:
        """Delete the user; its faces are disassociated first (they stay in the collection)."""
        with self._lock:
            collection = self._user(collection_id, user_id)
            del collection.users[user_id]
            collection.faces = [
                replace(f, user_id=None) if f.user_id == user_id else f for f in collection.faces
            ]
            self._save(collection)

    def _user(self, collection_id: str, user_id: str) -> Collection:
        collection = self.get(collection_id)
        if user_id not in collection.users:
            raise ResourceNotFoundException(
                f"User {user_id} does not exist in collection {collection_id}."
            )
        return collection

    def list_users(
        self, collection_id: str, max_results: int, token: str | None
    ) -> tuple[list[tuple[str, int]], str | None]:
        """One page of (UserId, associated faces), in UserId order."""
        with self._lock:
            collection = self.get(collection_id)
            counts = {u: 0 for u in collection.users}
            for face in collection.faces:
                if face.user_id in counts:
                    counts[face.user_id] += 1
        ids = sorted(counts)
        if token:
            after = _decode_token(token)
            ids = [i for i in ids if i > after]
        page = ids[:max_results]
        more = len(ids) > max_results
        return [(u, counts[u]) for u in page], (_encode_token(page[-1]) if more and page else None)

    def user_faces(self, collection_id: str, user_id: str) -> int:
        with self._lock:
            collection = self._user(collection_id, user_id)
            return sum(f.user_id == user_id for f in collection.faces)

    def associate(
        self, collection_id: str, user_id: str, face_ids: list[str], min_distance: float
    ) -> tuple[list[str], list[tuple[str, str | None, float | None, str]]]:
        """Associate faces with the user. Returns the associated ids and, for the others,
        (FaceId, its UserId, confidence, reason). A face already the user's is neither;
        once the user has faces, a face farther than `min_distance` from their centroid
        fails with LOW_MATCH_CONFIDENCE; at most MAX_USER_FACES per user."""
        with self._lock:
            collection = self._user(collection_id, user_id)
            centroid = self._centroid(collection, user_id)
            owned = sum(f.user_id == user_id for f in collection.faces)
            done: list[str] = []
            failed: list[tuple[str, str | None, float | None, str]] = []
            for face_id in dict.fromkeys(face_ids):
                row = collection.row_of(face_id)
                if row is None:
                    failed.append((face_id, None, None, "FACE_NOT_FOUND"))
                    continue
                face = collection.faces[row]
                if face.user_id == user_id:
                    continue
                if face.user_id is not None:
                    failed.append((face_id, face.user_id, None, "ASSOCIATED_TO_A_DIFFERENT_USER"))
                    continue
                if centroid is not None:
                    distance = float(np.linalg.norm(collection.vectors[row] - centroid))
                    if distance > min_distance:
                        failed.append((face_id, None, distance, "LOW_MATCH_CONFIDENCE"))
                        continue
                if owned >= MAX_USER_FACES:
                    raise ServiceQuotaExceededException(
                        f"User {user_id} already has {MAX_USER_FACES} faces."
                    )
                collection.faces[row] = replace(face, user_id=user_id)
                owned += 1
                done.append(face_id)
            if done:
                self._save(collection)
            return done, failed

    def disassociate(
        self, collection_id: str, user_id: str, face_ids: list[str]
    ) -> tuple[list[str], list[tuple[str, str | None, str]]]:
        with self._lock:
            collection = self._user(collection_id, user_id)
            done: list[str] = []
            failed: list[tuple[str, str | None, str]] = []
            for face_id in dict.fromkeys(face_ids):
                row = collection.row_of(face_id)
                if row is None:
                    failed.append((face_id, None, "FACE_NOT_FOUND"))
                    continue
                face = collection.faces[row]
                if face.user_id != user_id:
                    failed.append((face_id, face.user_id, "ASSOCIATED_TO_A_DIFFERENT_USER"))
                    continue
                collection.faces[row] = replace(face, user_id=None)
                done.append(face_id)
            if done:
                self._save(collection)
            return done, failed

    @staticmethod
    def _centroid(collection: Collection, user_id: str) -> np.ndarray | None:
        rows = [i for i, f in enumerate(collection.faces) if f.user_id == user_id]
        if not rows:
            return None
        centroid: np.ndarray = collection.vectors[rows].mean(axis=0)
        return centroid

    def user_vector(self, collection_id: str, user_id: str) -> np.ndarray | None:
        with self._lock:
            return self._centroid(self._user(collection_id, user_id), user_id)

    def search_users(
        self, collection_id: str, vector: np.ndarray, max_distance: float, max_users: int
    ) -> list[tuple[str, float]]:
        """(UserId, distance) of the users whose face vectors' centroid (the user vector)
        lies within `max_distance`, closest first."""
        with self._lock:
            collection = self.get(collection_id)
            centroids = {
                user: c for user in collection.users
                if (c := self._centroid(collection, user)) is not None
            }  # fmt: skip
        found = sorted(
            (float(np.linalg.norm(c - vector.astype(np.float32))), user)
            for user, c in centroids.items()
        )
        return [(user, d) for d, user in found if d <= max_distance][:max_users]

    # Persistence -------------------------------------------------------------------------
    def _path(self, collection_id: str) -> Path:
        assert self._data_dir is not None
        return self._data_dir / f"{collection_id}.npz"

    def _save(self, collection: Collection) -> None:
        if not self._data_dir:
            return
        meta = {
            "collection_id": collection.collection_id,
            "arn": collection.arn,
            "created_at": collection.created_at,
            "next_seq": collection.next_seq,
            "faces": [asdict(f) for f in collection.faces],
            "users": collection.users,
        }
        fd, tmp = tempfile.mkstemp(dir=self._data_dir, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, vectors=collection.vectors, meta=np.array(json.dumps(meta)))
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self._path(collection.collection_id))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class CorruptCollectionError(RuntimeError):
    """A collection file in the data directory cannot be read; the service will not start."""


def _load(path: Path) -> Collection:
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            vectors = data["vectors"].astype(np.float32)
        faces = [StoredFace(**f) for f in meta["faces"]]
        if vectors.shape != (len(faces), ENCODING_SIZE):
            raise ValueError(f"{len(faces)} faces but encodings of shape {vectors.shape}")
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise CorruptCollectionError(
            f"Face collection file {path} is unreadable ({exc}). Move it out of the data "
            "directory to start without that collection."
        ) from exc
    return Collection(
        meta["collection_id"],
        meta["arn"],
        meta["created_at"],
        faces,
        vectors,
        meta["next_seq"],
        dict(meta.get("users", {})),  # files from before users existed have none
    )
