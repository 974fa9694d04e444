"""Rekognition users in the face service, through an unmodified boto3 client: CreateUser,
DeleteUser, ListUsers, AssociateFaces, DisassociateFaces, SearchUsers, SearchUsersByImage.

Every successful response is checked against botocore's model of the Rekognition API, as in
test_face_service_api.py (the same autouse hook). Semantics follow the API reference:
AssociateFaces ignores a face already the user's, refuses one of another user, one not found
and one below UserMatchThreshold (default 75); DeleteFaces refuses a face that belongs to a
user; DeleteUser disassociates its faces first; SearchUsersByImage answers an image without
a usable face with no matches, not an error.
"""

from __future__ import annotations

import contextlib
import uuid

import pytest
from botocore.exceptions import ClientError

from localcloud.faceservice.store import CollectionStore
from tests.integration.test_face_service_api import (  # noqa: F401 (autouse fixture)
    model_violations,
    responses_follow_the_aws_model,
)
from tests.support.images import no_face_jpeg, side_by_side

pytestmark = pytest.mark.integration


@pytest.fixture
def collection(rekognition_client):
    collection_id = f"users-{uuid.uuid4().hex[:12]}"
    rekognition_client.create_collection(CollectionId=collection_id)
    yield collection_id
    with contextlib.suppress(ClientError):
        rekognition_client.delete_collection(CollectionId=collection_id)


def index(rek, collection: str, image: bytes, external: str) -> str:
    (record,) = rek.index_faces(
        CollectionId=collection, Image={"Bytes": image}, ExternalImageId=external, MaxFaces=1
    )["FaceRecords"]
    return record["Face"]["FaceId"]


def code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_a_users_faces_vote_together_and_the_rules_of_association(
    rekognition_client, collection, augmented, sample_faces
):
    rek = rekognition_client
    grace = [index(rek, collection, augmented("grace_hopper", n), "grace") for n in (1, 2, 3)]
    luis = index(rek, collection, augmented("luispedro", 1), "luis")

    created = rek.create_user(CollectionId=collection, UserId="grace")
    assert set(created) == {"ResponseMetadata"}  # an empty body, as AWS answers
    with pytest.raises(ClientError) as excinfo:
        rek.create_user(CollectionId=collection, UserId="grace")
    assert code(excinfo) == "ConflictException"
    assert rek.list_users(CollectionId=collection)["Users"] == [
        {"UserId": "grace", "UserStatus": "CREATED"}
    ]

    first = rek.associate_faces(CollectionId=collection, UserId="grace", FaceIds=grace[:2])
    assert {f["FaceId"] for f in first["AssociatedFaces"]} == set(grace[:2])
    assert first["UnsuccessfulFaceAssociations"] == [] and first["UserStatus"] == "ACTIVE"
    missing = str(uuid.uuid4())
    second = rek.associate_faces(
        CollectionId=collection, UserId="grace", FaceIds=[grace[0], grace[2], luis, missing]
    )
    assert [f["FaceId"] for f in second["AssociatedFaces"]] == [grace[2]]  # grace[0]: ignored
    refused = {f["FaceId"]: f for f in second["UnsuccessfulFaceAssociations"]}
    assert refused[missing]["Reasons"] == ["FACE_NOT_FOUND"]
    assert refused[luis]["Reasons"] == ["LOW_MATCH_CONFIDENCE"]
    assert refused[luis]["Confidence"] < 75

    rek.create_user(CollectionId=collection, UserId="luis")
    rek.associate_faces(CollectionId=collection, UserId="luis", FaceIds=[luis])
    taken = rek.associate_faces(CollectionId=collection, UserId="luis", FaceIds=[grace[0]])
    assert taken["UnsuccessfulFaceAssociations"] == [
        {"FaceId": grace[0], "UserId": "grace", "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}
    ]
    faces = {f["FaceId"]: f for f in rek.list_faces(CollectionId=collection)["Faces"]}
    assert {faces[f].get("UserId") for f in grace} == {"grace"} and faces[luis]["UserId"] == "luis"
    assert rek.describe_collection(CollectionId=collection)["UserCount"] == 2

    # The user vector: Grace's three photos together, above the threshold; Luis below it.
    probe = {"Bytes": sample_faces["grace_hopper"].read_bytes()}
    found = rek.search_users_by_image(CollectionId=collection, Image=probe)
    assert [m["User"]["UserId"] for m in found["UserMatches"]] == ["grace"]
    assert found["UserMatches"][0]["Similarity"] >= 95
    assert found["UserMatches"][0]["User"]["UserStatus"] == "ACTIVE"
    assert "BoundingBox" in found["SearchedFace"]["FaceDetail"]
    by_face = rek.search_users(CollectionId=collection, FaceId=grace[0])
    assert by_face["SearchedFace"] == {"FaceId": grace[0]}
    assert [m["User"]["UserId"] for m in by_face["UserMatches"]] == ["grace"]
    by_user = rek.search_users(CollectionId=collection, UserId="grace", UserMatchThreshold=0)
    assert by_user["SearchedUser"] == {"UserId": "grace"}
    assert [m["User"]["UserId"] for m in by_user["UserMatches"]] == ["luis"]  # not itself

    # A face that belongs to a user is not deleted until it is disassociated.
    deleted = rek.delete_faces(CollectionId=collection, FaceIds=[grace[2]])
    assert deleted["DeletedFaces"] == []
    assert deleted["UnsuccessfulFaceDeletions"] == [
        {"FaceId": grace[2], "UserId": "grace", "Reasons": ["ASSOCIATED_TO_AN_EXISTING_USER"]}
    ]
    gone = rek.disassociate_faces(CollectionId=collection, UserId="grace", FaceIds=[grace[2], luis])
    assert gone["DisassociatedFaces"] == [{"FaceId": grace[2]}]
    assert gone["UnsuccessfulFaceDisassociations"] == [
        {"FaceId": luis, "UserId": "luis", "Reasons": ["ASSOCIATED_TO_A_DIFFERENT_USER"]}
    ]
    assert rek.delete_faces(CollectionId=collection, FaceIds=[grace[2]])["DeletedFaces"] == [
        grace[2]
    ]

    # DeleteUser disassociates its faces, which stay in the collection.
    rek.delete_user(CollectionId=collection, UserId="grace")
    faces = {f["FaceId"]: f for f in rek.list_faces(CollectionId=collection)["Faces"]}
    assert set(grace[:2]) <= set(faces) and not any("UserId" in faces[f] for f in grace[:2])
    for call in (
        lambda: rek.delete_user(CollectionId=collection, UserId="grace"),
        lambda: rek.associate_faces(CollectionId=collection, UserId="grace", FaceIds=grace[:1]),
        lambda: rek.search_users(CollectionId=collection, UserId="grace"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert code(excinfo) == "ResourceNotFoundException"


def test_search_users_by_image_without_a_usable_face_is_not_an_error(
    rekognition_client, collection, sample_faces
):
    rek = rekognition_client
    found = rek.search_users_by_image(CollectionId=collection, Image={"Bytes": no_face_jpeg()})
    assert found["UserMatches"] == [] and "SearchedFace" not in found
    pair = side_by_side(sample_faces["grace_hopper"], sample_faces["luispedro"])
    two = rek.search_users_by_image(CollectionId=collection, Image={"Bytes": pair})
    assert "SearchedFace" in two
    assert [f["Reasons"] for f in two["UnsearchedFaces"]] == [["FACE_NOT_LARGEST"]]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda rek, c: rek.create_user(CollectionId=c, UserId="has space"), "InvalidParameter"),
        (lambda rek, c: rek.create_user(CollectionId=c, UserId="x" * 129), "InvalidParameter"),
        (lambda rek, c: rek.create_user(CollectionId="missing", UserId="u"), "ResourceNotFound"),
        (lambda rek, c: rek.search_users(CollectionId=c), "InvalidParameter"),
        (
            lambda rek, c: rek.associate_faces(
                CollectionId=c, UserId="u", FaceIds=[str(uuid.uuid4()) for _ in range(101)]
            ),
            "InvalidParameter",
        ),
    ],
)
def test_bad_user_requests_are_refused(rekognition_client, collection, call, error):
    with pytest.raises(ClientError) as excinfo:
        call(rekognition_client, collection)
    assert code(excinfo).startswith(error)


def test_list_users_paginates(rekognition_client, collection):
    for n in range(5):
        rekognition_client.create_user(CollectionId=collection, UserId=f"user-{n}")
    pages = rekognition_client.get_paginator("list_users").paginate(
        CollectionId=collection, PaginationConfig={"PageSize": 2}
    )
    seen = [u["UserId"] for page in pages for u in page["Users"]]
    assert seen == [f"user-{n}" for n in range(5)]


def test_users_survive_a_restart(tmp_path):
    import numpy as np

    store = CollectionStore(tmp_path)
    store.create("c")
    store.add_faces("c", [("f1", "i1", "p", {"Width": 0.5}, 99.0)], np.ones((1, 128)))
    store.create_user("c", "p")
    store.associate("c", "p", ["f1"], 1.0)
    again = CollectionStore(tmp_path)
    assert again.get("c").users.keys() == {"p"}
    assert again.get("c").faces[0].user_id == "p"
