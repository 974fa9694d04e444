"""A local face service that speaks the Amazon Rekognition API (AWS JSON 1.1).

An unmodified `boto3.client("rekognition", endpoint_url=...)` works against it, and so does
any client that honours `AWS_ENDPOINT_URL_REKOGNITION`. Faces are found and encoded with
dlib (face_recognition); similarity is a documented map of dlib's distance (see
`similarity`). Operations: CreateCollection, DescribeCollection, ListCollections,
DeleteCollection, IndexFaces, ListFaces, DeleteFaces, SearchFaces, SearchFacesByImage,
DetectFaces, DetectLabels, CompareFaces, and the users: CreateUser, DeleteUser, ListUsers,
AssociateFaces, DisassociateFaces, SearchUsers and SearchUsersByImage.

Where it differs from AWS (on purpose):
- Signatures are not checked.
- A user vector is the centroid (mean) of its faces' encodings, searched like a face; AWS
  does not document how it aggregates them. User changes take effect before the answer, so
  UserStatus is CREATED (no face yet) or ACTIVE, never UPDATING.
- DetectLabels knows only Person, Human and Face, derived from detected faces.
- FaceDetail attributes it cannot measure are neutral or absent (see `facedetail`).
- Quality filtering uses the bars in `operations.QUALITY_BARS`.
"""

from __future__ import annotations

from pathlib import Path

from .detection import FaceEngine
from .operations import RekognitionApi
from .s3 import S3ObjectReader
from .server import FaceServiceHTTPServer
from .store import CollectionStore

__all__ = ["FaceServiceHTTPServer", "RekognitionApi", "create_server"]


def create_server(
    port: int = 0,
    data_dir: Path | None = None,
    s3_endpoint_url: str | None = None,
    region: str = "us-east-1",
    host: str = "127.0.0.1",
) -> FaceServiceHTTPServer:
    """A bound (not yet serving) face service; call `.start()` to serve in a thread."""
    store = CollectionStore(
        data_dir, arn_prefix=f"aws:rekognition:{region}:123456789012:collection/"
    )
    # Without an explicit endpoint, boto3 resolves one (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL).
    reader = S3ObjectReader(s3_endpoint_url, region)
    api = RekognitionApi(FaceEngine(), store, reader)
    return FaceServiceHTTPServer(api, host=host, port=port)
