"""The Rekognition collection and image APIs (the face service locally)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from core.imaging import MAX_INLINE_IMAGE_BYTES

if TYPE_CHECKING:
    from mypy_boto3_rekognition import RekognitionClient

# Errors that describe the image, not the infrastructure: the caller turns them into outcomes.
IMAGE_ERRORS = frozenset(
    {
        "InvalidImageFormatException",
        "ImageTooLargeException",
        "InvalidParameterException",
        "InvalidS3ObjectException",
    }
)

Image = dict[str, Any]
USER_FACES_PER_CALL = 100  # AssociateFaces / DisassociateFaces: FaceIds holds 1 to 100


class ImageNotAccepted(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def image_bytes(data: bytes) -> Image:
    return {"Bytes": data}


def image_in_s3(bucket: str, key: str, version_id: str = "") -> Image:
    s3_object = {"Bucket": bucket, "Name": key}
    if version_id:
        s3_object["Version"] = version_id
    return {"S3Object": s3_object}


def image_source(data: bytes, bucket: str, key: str, version_id: str = "") -> Image:
    """The bytes when they fit Rekognition's 5 MB inline limit, else the S3 object (the API
    reads up to 15 MB from S3)."""
    if len(data) <= MAX_INLINE_IMAGE_BYTES:
        return image_bytes(data)
    return image_in_s3(bucket, key, version_id)


class _Counter:
    def __init__(self) -> None:
        self.calls = 0


class FaceIndex:
    def __init__(
        self, client: RekognitionClient, collection_id: str, counter: _Counter | None = None
    ) -> None:
        self._client = client
        self.collection_id = collection_id
        self._counter = counter or _Counter()

    @property
    def calls(self) -> int:
        """Billed API calls (for the RekognitionCalls metric), of this adapter and of every
        `other_collection` made from it."""
        return self._counter.calls

    def other_collection(self, collection_id: str) -> FaceIndex:
        """The same client on another collection (the strangers'), counting into one total."""
        return FaceIndex(self._client, collection_id, self._counter)

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        self._counter.calls += 1
        try:
            # Responses are handed on as plain dicts (the audit bucket keeps them raw).
            response: dict[str, Any] = getattr(self._client, operation)(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in IMAGE_ERRORS:
                raise ImageNotAccepted(code, str(exc)) from exc
            raise
        response.pop("ResponseMetadata", None)
        return response

    def detect_faces(self, image: Image, *, all_attributes: bool = False) -> dict[str, Any]:
        return self._call(
            "detect_faces", Image=image, Attributes=["ALL" if all_attributes else "DEFAULT"]
        )

    def search_face(self, image: Image, *, threshold: float, max_faces: int) -> dict[str, Any]:
        return self._call(
            "search_faces_by_image",
            CollectionId=self.collection_id,
            Image=image,
            FaceMatchThreshold=threshold,
            MaxFaces=max_faces,
        )

    def search_users(self, image: Image, *, threshold: float, max_users: int) -> dict[str, Any]:
        """SearchUsersByImage: the largest face against the users (UserId = person_id).
        An image without a usable face gives no matches, not an error
        (https://docs.aws.amazon.com/rekognition/latest/APIReference/API_SearchUsersByImage.html)."""
        return self._call(
            "search_users_by_image",
            CollectionId=self.collection_id,
            Image=image,
            UserMatchThreshold=threshold,
            MaxUsers=max_users,
        )

    def detect_labels(
        self, image: Image, *, max_labels: int = 20, min_confidence: float = 60.0
    ) -> dict[str, Any]:
        return self._call(
            "detect_labels", Image=image, MaxLabels=max_labels, MinConfidence=min_confidence
        )

    def index_face(self, image: Image, *, external_image_id: str) -> dict[str, Any]:
        return self._call(
            "index_faces",
            CollectionId=self.collection_id,
            Image=image,
            ExternalImageId=external_image_id,
            MaxFaces=1,
            QualityFilter="AUTO",
            DetectionAttributes=["DEFAULT"],
        )

    def delete_faces(self, face_ids: list[str]) -> int:
        """Delete the faces (4096 per call, DeleteFaces' limit); returns how many went. A
        face associated with a user is refused (ASSOCIATED_TO_AN_EXISTING_USER), so it is
        disassociated from its user and deleted again."""
        deleted = 0
        for start in range(0, len(face_ids), 4096):
            batch = face_ids[start : start + 4096]
            response = self._call("delete_faces", CollectionId=self.collection_id, FaceIds=batch)
            deleted += len(response.get("DeletedFaces", []))
            owned: dict[str, list[str]] = {}
            for refused in response.get("UnsuccessfulFaceDeletions", []):
                if "ASSOCIATED_TO_AN_EXISTING_USER" in refused.get("Reasons", []):
                    owned.setdefault(refused.get("UserId", ""), []).append(refused["FaceId"])
            for user_id, faces in owned.items():
                self._disassociate(user_id, faces)
                again = self._call("delete_faces", CollectionId=self.collection_id, FaceIds=faces)
                deleted += len(again.get("DeletedFaces", []))
        return deleted

    # Rekognition users: all of a person's faces in one user vector (UserId = person_id).
    # https://docs.aws.amazon.com/rekognition/latest/dg/collections.html ("Searching against
    # user vectors can significantly improve accuracy"); AssociateFaces takes 100 faces a
    # call and a user holds at most 100:
    # https://docs.aws.amazon.com/rekognition/latest/APIReference/API_AssociateFaces.html
    def associate_user(self, user_id: str, face_ids: list[str]) -> int:
        """Create the user if it does not exist, and associate the faces with it; returns
        how many were associated now (a face already the user's is not counted)."""
        try:
            self._call("create_user", CollectionId=self.collection_id, UserId=user_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConflictException":
                raise
        associated = 0
        for start in range(0, len(face_ids), USER_FACES_PER_CALL):
            response = self._call(
                "associate_faces",
                CollectionId=self.collection_id,
                UserId=user_id,
                FaceIds=face_ids[start : start + USER_FACES_PER_CALL],
            )
            associated += len(response.get("AssociatedFaces", []))
        return associated

    def _disassociate(self, user_id: str, face_ids: list[str]) -> None:
        for start in range(0, len(face_ids), USER_FACES_PER_CALL):
            self._call(
                "disassociate_faces",
                CollectionId=self.collection_id,
                UserId=user_id,
                FaceIds=face_ids[start : start + USER_FACES_PER_CALL],
            )

    def delete_user(self, user_id: str) -> bool:
        """Delete the user (its faces are disassociated, not deleted); False when absent."""
        try:
            self._call("delete_user", CollectionId=self.collection_id, UserId=user_id)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return False
            raise
        return True

    def users(self) -> list[str]:
        pages = self._client.get_paginator("list_users").paginate(CollectionId=self.collection_id)
        return [u["UserId"] for page in pages for u in page.get("Users", []) if "UserId" in u]

    def faces_of(self, external_image_id: str) -> list[str]:
        """The face ids indexed under one ExternalImageId (a person or a stranger)."""
        return [f for f, owner in self.faces().items() if owner == external_image_id]

    def faces(self) -> dict[str, str]:
        """Every face in the collection: FaceId -> ExternalImageId (its person_id)."""
        found: dict[str, str] = {}
        pages = self._client.get_paginator("list_faces").paginate(
            CollectionId=self.collection_id, PaginationConfig={"PageSize": 1000}
        )
        for page in pages:
            for face in page.get("Faces", []):
                if "FaceId" in face:
                    found[face["FaceId"]] = face.get("ExternalImageId", "")
        return found
