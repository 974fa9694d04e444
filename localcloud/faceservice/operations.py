"""The Rekognition operations, as plain functions of a request dict to a response dict.

Shapes, defaults and errors follow the Rekognition API reference. Local differences are
listed in the package docstring.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import facedetail, images
from .detection import Detection, FaceEngine
from .errors import (
    InvalidParameterException,
    ResourceNotFoundException,
    UnknownOperationException,
)
from .facedetail import FaceDetail
from .similarity import distance_for, similarity
from .store import FACE_MODEL_VERSION, CollectionStore, Match

# A request's parameters and a response body: JSON objects, as boto3 sends and reads them.
Params = dict[str, Any]
Response = dict[str, Any]

COLLECTION_ID = re.compile(r"[a-zA-Z0-9_.\-]{1,255}")
EXTERNAL_IMAGE_ID = re.compile(r"[a-zA-Z0-9_.\-:]{1,255}")
USER_ID = re.compile(r"[a-zA-Z0-9_.\-:]{1,128}")
FACE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ATTRIBUTES = {
    "DEFAULT", "ALL", "AGE_RANGE", "BEARD", "EMOTIONS", "EYE_DIRECTION", "EYEGLASSES",
    "EYES_OPEN", "GENDER", "MOUTH_OPEN", "MUSTACHE", "FACE_OCCLUDED", "SMILE", "SUNGLASSES",
}  # fmt: skip
MAX_DETECTED_FACES = 100
LABEL_MODEL_VERSION = "3.0"


@dataclass(frozen=True)
class QualityBar:
    """Minimums a face must meet under a QualityFilter level."""

    confidence: float
    face_px: int
    sharpness: float
    brightness: float
    max_yaw: float


QUALITY_BARS = {
    "LOW": QualityBar(confidence=50, face_px=20, sharpness=2, brightness=4, max_yaw=80),
    "MEDIUM": QualityBar(confidence=70, face_px=32, sharpness=5, brightness=8, max_yaw=65),
    "HIGH": QualityBar(confidence=90, face_px=48, sharpness=15, brightness=15, max_yaw=45),
}
QUALITY_BARS["AUTO"] = QUALITY_BARS["MEDIUM"]


def _require(params: Params, name: str) -> Any:
    if params.get(name) is None:
        raise InvalidParameterException(f"Missing required parameter {name}.")
    return params[name]


def _int(params: Params, name: str, default: int, low: int, high: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterException(f"{name} must be an integer from {low} to {high}.")
    return value


def _percent(params: Params, name: str, default: float) -> float:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise InvalidParameterException(f"{name} must be a number from 0 to 100.")
    return float(value)


def _collection_id(params: Params) -> str:
    value = _require(params, "CollectionId")
    if not isinstance(value, str) or not COLLECTION_ID.fullmatch(value):
        raise InvalidParameterException(
            "CollectionId must match [a-zA-Z0-9_.\\-]+ and be 1-255 characters."
        )
    return value


def _face_ids(params: Params, most: int = 4096) -> list[str]:
    face_ids = _require(params, "FaceIds")
    if not isinstance(face_ids, list) or not 1 <= len(face_ids) <= most:
        raise InvalidParameterException(f"FaceIds must list 1 to {most} face ids.")
    for face_id in face_ids:
        if not isinstance(face_id, str) or not FACE_ID.fullmatch(face_id):
            raise InvalidParameterException(f"Invalid FaceId: {face_id!r}")
    return face_ids


def _user_id(params: Params) -> str:
    value = _require(params, "UserId")
    if not isinstance(value, str) or not USER_ID.fullmatch(value):
        raise InvalidParameterException(
            "UserId must match [a-zA-Z0-9_.\\-:]+ and be 1-128 characters."
        )
    return value


def _user_status(faces: int) -> str:
    """CREATED until a face is associated, then ACTIVE. AWS passes through UPDATING while
    it rebuilds the user vector; here the change is done before the answer."""
    return "ACTIVE" if faces else "CREATED"


def _quality_filter(params: Params, default: str) -> str:
    value = params.get("QualityFilter", default)
    if value not in ("NONE", *QUALITY_BARS):
        raise InvalidParameterException("QualityFilter must be NONE, AUTO, LOW, MEDIUM or HIGH.")
    return str(value)


def _all_attributes(params: Params, name: str) -> bool:
    wanted = params.get(name) or ["DEFAULT"]
    if not isinstance(wanted, list) or any(a not in ATTRIBUTES for a in wanted):
        raise InvalidParameterException(f"{name} has an unknown attribute.")
    return any(a != "DEFAULT" for a in wanted)


def quality_reasons(detection: Detection, detail: FaceDetail, level: str) -> list[str]:
    """Why a face fails the QualityFilter `level` (Rekognition's reason names); [] if it passes."""
    if level == "NONE":
        return []
    bar = QUALITY_BARS[level]
    reasons = []
    if detection.confidence < bar.confidence:
        reasons.append("LOW_CONFIDENCE")
    if min(detection.box.width, detection.box.height) < bar.face_px:
        reasons.append("SMALL_BOUNDING_BOX")
    if detail["Quality"]["Sharpness"] < bar.sharpness:
        reasons.append("LOW_SHARPNESS")
    if detail["Quality"]["Brightness"] < bar.brightness:
        reasons.append("LOW_BRIGHTNESS")
    if abs(detail["Pose"]["Yaw"]) > bar.max_yaw:
        reasons.append("EXTREME_POSE")
    return reasons


class RekognitionApi:
    def __init__(
        self,
        engine: FaceEngine,
        store: CollectionStore,
        reader: images.ObjectReader | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._reader = reader
        self.operations: dict[str, Callable[[Params], Response]] = {
            name: getattr(self, name)
            for name in (
                "CreateCollection", "DescribeCollection", "ListCollections", "DeleteCollection",
                "IndexFaces", "ListFaces", "DeleteFaces", "SearchFaces", "SearchFacesByImage",
                "DetectFaces", "DetectLabels", "CompareFaces",
                "CreateUser", "DeleteUser", "ListUsers", "AssociateFaces", "DisassociateFaces",
                "SearchUsers", "SearchUsersByImage",
            )
        }  # fmt: skip

    def call(self, operation: str, params: Params) -> Response:
        try:
            handler = self.operations[operation]
        except KeyError:
            raise UnknownOperationException(f"Unknown operation {operation}.") from None
        return handler(params)

    # Images ------------------------------------------------------------------------------
    def _faces(
        self, params: Params, name: str = "Image"
    ) -> tuple[images.DecodedImage, list[Detection]]:
        image = images.load(_require(params, name), self._reader)
        detections = self._engine.detect(image.rgb)[:MAX_DETECTED_FACES]
        return image, detections

    def _searchable_face(
        self, params: Params, name: str, level: str
    ) -> tuple[images.DecodedImage, Detection, FaceDetail, np.ndarray]:
        """The largest face of an image that passes the quality bar, with its encoding."""
        image, detections = self._faces(params, name)
        if not detections:
            raise InvalidParameterException(
                "There are no faces in the image. Should be at least 1."
            )
        largest = detections[0]
        detail = facedetail.face_detail(image.rgb, largest, all_attributes=False)
        if quality_reasons(largest, detail, level):
            raise InvalidParameterException("The largest face does not meet the quality bar.")
        vector = self._engine.encode(image.rgb, [largest])[0]
        return image, largest, detail, vector

    # Collections (the methods carry the AWS operation names) ---------------------------
    def CreateCollection(self, params: Params) -> Response:
        collection = self._store.create(_collection_id(params))
        return {
            "StatusCode": 200,
            "CollectionArn": collection.arn,
            "FaceModelVersion": FACE_MODEL_VERSION,
        }

    def DescribeCollection(self, params: Params) -> Response:
        collection = self._store.get(_collection_id(params))
        return {
            "FaceCount": len(collection.faces),
            "FaceModelVersion": FACE_MODEL_VERSION,
            "CollectionARN": collection.arn,
            "CreationTimestamp": collection.created_at,
            "UserCount": len(collection.users),
        }

    def ListCollections(self, params: Params) -> Response:
        max_results = _int(params, "MaxResults", 1000, 0, 4096)
        ids, token = self._store.list_ids(max_results, params.get("NextToken"))
        response: Response = {
            "CollectionIds": ids,
            "FaceModelVersions": [FACE_MODEL_VERSION] * len(ids),
        }
        if token:
            response["NextToken"] = token
        return response

    def DeleteCollection(self, params: Params) -> Response:
        self._store.delete(_collection_id(params))
        return {"StatusCode": 200}

    # Faces -------------------------------------------------------------------------------
    def IndexFaces(self, params: Params) -> Response:
        collection_id = _collection_id(params)
        external_id = params.get("ExternalImageId")
        if external_id is not None and (
            not isinstance(external_id, str) or not EXTERNAL_IMAGE_ID.fullmatch(external_id)
        ):
            raise InvalidParameterException(
                "ExternalImageId must match [a-zA-Z0-9_.\\-:]+ and be 1-255 characters."
            )
        max_faces = _int(params, "MaxFaces", MAX_DETECTED_FACES, 1, 1_000_000)
        level = _quality_filter(params, "AUTO")
        all_attributes = _all_attributes(params, "DetectionAttributes")
        self._store.get(collection_id)
        image, detections = self._faces(params)
        accepted: list[tuple[Detection, FaceDetail]] = []
        unindexed: list[Response] = []
        for detection in detections:  # largest first
            detail = facedetail.face_detail(image.rgb, detection, all_attributes)
            reasons = quality_reasons(detection, detail, level)
            if not reasons and len(accepted) >= max_faces:
                reasons = ["EXCEEDS_MAX_FACES"]
            if reasons:
                unindexed.append({"Reasons": reasons, "FaceDetail": detail})
            else:
                accepted.append((detection, detail))
        vectors = self._engine.encode(image.rgb, [d for d, _ in accepted])
        image_id = str(uuid.uuid4())
        entries = [
            (str(uuid.uuid4()), image_id, external_id, detail["BoundingBox"], detection.confidence)
            for detection, detail in accepted
        ]
        stored = self._store.add_faces(collection_id, entries, vectors) if entries else []
        records = []
        for face, (_, detail) in zip(stored, accepted, strict=True):
            record_face = face.to_api()
            record_face.pop("IndexFacesModelVersion")
            records.append({"Face": record_face, "FaceDetail": detail})
        return {
            "FaceRecords": records,
            "FaceModelVersion": FACE_MODEL_VERSION,
            "UnindexedFaces": unindexed,
        }

    def ListFaces(self, params: Params) -> Response:
        collection_id = _collection_id(params)
        max_results = _int(params, "MaxResults", 1000, 0, 4096)
        face_ids = _face_ids(params) if params.get("FaceIds") is not None else None
        faces, token = self._store.list_faces(
            collection_id, max_results, params.get("NextToken"), face_ids
        )
        response: Response = {
            "Faces": [f.to_api() for f in faces],
            "FaceModelVersion": FACE_MODEL_VERSION,
        }
        if token:
            response["NextToken"] = token
        return response

    def DeleteFaces(self, params: Params) -> Response:
        collection_id = _collection_id(params)
        face_ids = _face_ids(params)
        owners = {f.face_id: f.user_id for f in self._store.get(collection_id).faces}
        deleted = self._store.delete_faces(collection_id, face_ids)
        missing = [f for f in dict.fromkeys(face_ids) if f not in set(deleted)]
        response: Response = {"DeletedFaces": deleted}
        if missing:
            # A face associated with a user is not deleted: disassociate it first.
            response["UnsuccessfulFaceDeletions"] = [
                {"FaceId": f, "UserId": owners[f], "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]}
                if owners.get(f)
                else {"FaceId": f, "Reasons": ["FACE_NOT_FOUND"]}
                for f in missing
            ]
        return response

    def SearchFaces(self, params: Params) -> Response:
        collection_id = _collection_id(params)
        face_id = _require(params, "FaceId")
        if not isinstance(face_id, str) or not FACE_ID.fullmatch(face_id):
            raise InvalidParameterException(f"Invalid FaceId: {face_id!r}")
        max_faces = _int(params, "MaxFaces", 4096, 1, 4096)
        threshold = _percent(params, "FaceMatchThreshold", 80.0)
        vector = self._store.vector_of(collection_id, face_id)
        if vector is None:
            raise InvalidParameterException(
                f"Face {face_id} was not found in collection {collection_id}."
            )
        matches = self._store.search(
            collection_id, vector, distance_for(threshold), max_faces, exclude_face_id=face_id
        )
        return {
            "SearchedFaceId": face_id,
            "FaceMatches": self._face_matches(matches, threshold),
            "FaceModelVersion": FACE_MODEL_VERSION,
        }

    def SearchFacesByImage(self, params: Params) -> Response:
        collection_id = _collection_id(params)
        max_faces = _int(params, "MaxFaces", 4096, 1, 4096)
        threshold = _percent(params, "FaceMatchThreshold", 80.0)
        level = _quality_filter(params, "NONE")
        self._store.get(collection_id)
        _, largest, detail, vector = self._searchable_face(params, "Image", level)
        matches = self._store.search(collection_id, vector, distance_for(threshold), max_faces)
        return {
            "SearchedFaceBoundingBox": detail["BoundingBox"],
            "SearchedFaceConfidence": largest.confidence,
            "FaceMatches": self._face_matches(matches, threshold),
            "FaceModelVersion": FACE_MODEL_VERSION,
        }

    # Users (a person's faces aggregated into one user vector) ---------------------------
    def CreateUser(self, params: Params) -> Response:
        collection_id = _collection_id(params)
        self._store.create_user(collection_id, _user_id(params))
        return {}

    def DeleteUser(self, params: Params) -> Response:
        self._store.delete_user(_collection_id(params), _user_id(params))
        return {}

    def ListUsers(self, params: Params) -> Response:
        collection_id = _collection_id(params)
        max_results = _int(params, "MaxResults", 500, 1, 500)
        users, token = self._store.list_users(collection_id, max_results, params.get("NextToken"))
        response: Response = {
            "Users": [{"UserId": u, "UserStatus": _user_status(n)} for u, n in users]
        }
        if token:
            response["NextToken"] = token
        return response

    def AssociateFaces(self, params: Params) -> Response:
        collection_id, user_id = _collection_id(params), _user_id(params)
        face_ids = _face_ids(params, most=100)
        threshold = _percent(params, "UserMatchThreshold", 75.0)
        done, failed = self._store.associate(
            collection_id, user_id, face_ids, distance_for(threshold)
        )
        unsuccessful = []
        for face_id, owner, distance, reason in failed:
            entry: Response = {"FaceId": face_id, "Reasons": [reason]}
            if owner is not None:
                entry["UserId"] = owner
            if distance is not None:
                entry["Confidence"] = round(similarity(distance), 4)
            unsuccessful.append(entry)
        return {
            "AssociatedFaces": [{"FaceId": f} for f in done],
            "UnsuccessfulFaceAssociations": unsuccessful,
            "UserStatus": _user_status(self._store.user_faces(collection_id, user_id)),
        }

    def DisassociateFaces(self, params: Params) -> Response:
        collection_id, user_id = _collection_id(params), _user_id(params)
        face_ids = _face_ids(params, most=100)
        done, failed = self._store.disassociate(collection_id, user_id, face_ids)
        unsuccessful = []
        for face_id, owner, reason in failed:
            entry: Response = {"FaceId": face_id, "Reasons": [reason]}
            if owner is not None:
                entry["UserId"] = owner
            unsuccessful.append(entry)
        return {
            "DisassociatedFaces": [{"FaceId": f} for f in done],
            "UnsuccessfulFaceDisassociations": unsuccessful,
            "UserStatus": _user_status(self._store.user_faces(collection_id, user_id)),
        }

    def SearchUsers(self, params: Params) -> Response:
        """By a FaceId or by a UserId (exactly one): the users whose user vector is within
        UserMatchThreshold, best first."""
        collection_id = _collection_id(params)
        threshold = _percent(params, "UserMatchThreshold", 80.0)
        max_users = _int(params, "MaxUsers", 500, 1, 500)
        face_id, user_id = params.get("FaceId"), params.get("UserId")
        if (face_id is None) == (user_id is None):
            raise InvalidParameterException("Specify exactly one of FaceId and UserId.")
        response: Response = {"FaceModelVersion": FACE_MODEL_VERSION}
        if face_id is not None:
            if not isinstance(face_id, str) or not FACE_ID.fullmatch(face_id):
                raise InvalidParameterException(f"Invalid FaceId: {face_id!r}")
            vector = self._store.vector_of(collection_id, face_id)
            if vector is None:
                raise ResourceNotFoundException(
                    f"Face {face_id} was not found in collection {collection_id}."
                )
            response["SearchedFace"] = {"FaceId": face_id}
            exclude = None
        else:
            user_id = _user_id(params)
            self._store.user_faces(collection_id, user_id)  # ResourceNotFound if absent
            vector = self._store.user_vector(collection_id, user_id)
            response["SearchedUser"] = {"UserId": user_id}
            exclude = user_id
        matches = []
        if vector is not None:
            found = self._store.search_users(
                collection_id, vector, distance_for(threshold), max_users + 1
            )
            matches = [(u, d) for u, d in found if u != exclude][:max_users]
        response["UserMatches"] = self._user_matches(collection_id, matches)
        return response

    def SearchUsersByImage(self, params: Params) -> Response:
        """The largest face of the image against the user vectors. Unlike SearchFacesByImage,
        an image without a usable face is not an error: no SearchedFace, no matches, and the
        faces it did not search in UnsearchedFaces with their reasons."""
        collection_id = _collection_id(params)
        threshold = _percent(params, "UserMatchThreshold", 80.0)
        max_users = _int(params, "MaxUsers", 500, 1, 500)
        level = _quality_filter(params, "NONE")
        self._store.get(collection_id)
        image, detections = self._faces(params)
        response: Response = {"FaceModelVersion": FACE_MODEL_VERSION, "UserMatches": []}
        unsearched: list[Response] = []
        for n, detection in enumerate(detections):
            detail = facedetail.face_detail(image.rgb, detection, all_attributes=False)
            reasons = quality_reasons(detection, detail, level)
            if n == 0 and not reasons:
                vector = self._engine.encode(image.rgb, [detection])[0]
                found = self._store.search_users(
                    collection_id, vector, distance_for(threshold), max_users
                )
                response["SearchedFace"] = {"FaceDetail": detail}
                response["UserMatches"] = self._user_matches(collection_id, found)
                continue
            unsearched.append(
                {"FaceDetails": detail, "Reasons": reasons if n == 0 else ["FACE_NOT_LARGEST"]}
            )
        response["UnsearchedFaces"] = unsearched
        return response

    def _user_matches(self, collection_id: str, found: list[tuple[str, float]]) -> list[Response]:
        return [
            {
                "Similarity": round(similarity(distance), 4),
                "User": {
                    "UserId": user,
                    "UserStatus": _user_status(self._store.user_faces(collection_id, user)),
                },
            }
            for user, distance in found
        ]

    @staticmethod
    def _face_matches(matches: list[Match], threshold: float) -> list[Response]:
        out = []
        for match in matches:
            score = round(similarity(match.distance), 4)
            if score >= threshold:
                out.append({"Similarity": score, "Face": match.face.to_api()})
        return out

    # Images only -------------------------------------------------------------------------
    def DetectFaces(self, params: Params) -> Response:
        all_attributes = _all_attributes(params, "Attributes")
        image, detections = self._faces(params)
        details = [facedetail.face_detail(image.rgb, d, all_attributes) for d in detections]
        return {"FaceDetails": details}

    def DetectLabels(self, params: Params) -> Response:
        max_labels = _int(params, "MaxLabels", 1000, 0, 1_000_000)
        min_confidence = _percent(params, "MinConfidence", 55.0)
        image, detections = self._faces(params)
        labels = face_labels(image.width, image.height, detections)
        labels = [label for label in labels if label["Confidence"] >= min_confidence]
        return {"Labels": labels[:max_labels], "LabelModelVersion": LABEL_MODEL_VERSION}

    def CompareFaces(self, params: Params) -> Response:
        threshold = _percent(params, "SimilarityThreshold", 80.0)
        level = _quality_filter(params, "NONE")
        _, source, source_detail, source_vector = self._searchable_face(
            params, "SourceImage", level
        )
        target, faces = self._faces(params, "TargetImage")
        if not faces:
            raise InvalidParameterException("There are no faces in the target image.")
        vectors = self._engine.encode(target.rgb, faces)
        scores = similarity(np.linalg.norm(vectors - source_vector, axis=1))
        matched: list[Response] = []
        unmatched: list[FaceDetail] = []
        for face, score in zip(faces, np.atleast_1d(scores), strict=True):
            detail = facedetail.face_detail(target.rgb, face, all_attributes=False)
            compared = {key: detail[key] for key in ("BoundingBox", "Confidence", "Landmarks")}
            compared.update(Pose=detail["Pose"], Quality=detail["Quality"])
            if score >= threshold:
                matched.append({"Similarity": round(float(score), 4), "Face": compared})
            else:
                unmatched.append(compared)
        matched.sort(key=lambda m: -m["Similarity"])
        return {
            "SourceImageFace": {
                "BoundingBox": source_detail["BoundingBox"],
                "Confidence": source.confidence,
            },
            "FaceMatches": matched,
            "UnmatchedFaces": unmatched,
        }


def face_labels(width: int, height: int, detections: list[Detection]) -> list[Response]:
    """Face, Person and Human labels from detected faces.

    Each face is a `Face` instance; each face also implies a `Person` instance whose box is
    an estimate (head and shoulders: 3 face widths wide, 4 face heights tall below the
    brow, clipped to the image). Confidences are the face detection confidences.
    """
    if not detections:
        return []
    best = max(d.confidence for d in detections)
    face_instances: list[Response] = []
    person_instances: list[Response] = []
    for d in detections:
        face_instances.append(
            {
                "BoundingBox": facedetail.bounding_box(d.box, width, height),
                "Confidence": d.confidence,
            }
        )
        body = type(d.box)(
            d.box.left - d.box.width,
            d.box.top - d.box.height // 2,
            d.box.right + d.box.width,
            d.box.bottom + 3 * d.box.height,
        )
        person_instances.append(
            {
                "BoundingBox": facedetail.bounding_box(body, width, height),
                "Confidence": d.confidence,
            }
        )

    def label(name: str, instances: list[Response], parents: list[str], category: str) -> Response:
        return {
            "Name": name,
            "Confidence": best,
            "Instances": instances,
            "Parents": [{"Name": p} for p in parents],
            "Aliases": [{"Name": "Human"}] if name == "Person" else [],
            "Categories": [{"Name": category}],
        }

    return [
        label("Person", person_instances, [], "Person Description"),
        label("Human", [], [], "Person Description"),
        label("Face", face_instances, ["Person", "Head"], "Person Description"),
    ]
