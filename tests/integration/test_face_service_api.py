"""The face service through an unmodified boto3 Rekognition client: every operation,
the response shapes AWS documents, and every error the issue lists.

Every successful response in this module is also checked against botocore's own model of
the Rekognition API (the one the AWS SDKs are generated from): a field AWS does not have,
which boto3 would silently drop, or a value of the wrong type fails the test.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import re
import urllib.parse
import uuid

import pytest
from botocore.exceptions import ClientError
from PIL import Image

from tests.support.images import (
    blurred_jpeg,
    corrupt_jpeg,
    no_face_jpeg,
    rgba_png,
    side_by_side,
    small_in_scene,
    tiny_jpeg,
)

pytestmark = pytest.mark.integration

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


def assert_ratio_box(box: dict) -> None:
    assert set(box) == {"Width", "Height", "Left", "Top"}
    assert all(0.0 <= v <= 1.0 for v in box.values())
    assert box["Width"] > 0 and box["Height"] > 0


def model_violations(value, shape, path: str) -> list[str]:
    """Where `value` (a raw JSON response) departs from botocore's `shape`."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object"]
        found = []
        for key, item in value.items():
            if key in shape.members:
                found += model_violations(item, shape.members[key], f"{path}.{key}")
            else:
                found.append(f"{path}.{key}: not a field of {shape.name}")
        return found
    if kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        return [
            v
            for i, item in enumerate(value)
            for v in model_violations(item, shape.member, f"{path}[{i}]")
        ]
    if kind == "string":
        if not isinstance(value, str) or (shape.enum and value not in shape.enum):
            return [f"{path}: {value!r} is not a valid {shape.name}"]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: expected a boolean"]
    if kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected an integer"]
    if kind in ("float", "double", "timestamp"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected a number"]
    return []


@pytest.fixture(autouse=True)
def responses_follow_the_aws_model(rekognition_client):
    violations: list[str] = []

    def check(http_response, model, **_):
        if http_response.status_code == 200:
            body = json.loads(http_response.content)
            violations.extend(model_violations(body, model.output_shape, model.name))

    events, hook_id = rekognition_client.meta.events, f"shape-check-{uuid.uuid4()}"
    events.register("after-call.rekognition", check, unique_id=hook_id)
    yield
    events.unregister("after-call.rekognition", unique_id=hook_id)
    assert violations == []


def test_model_check_catches_misnamed_and_mistyped_fields(rekognition_client):
    output = rekognition_client.meta.service_model.operation_model("DescribeCollection")
    good = {"FaceCount": 1, "CollectionARN": "arn", "CreationTimestamp": 1.7e9}
    assert model_violations(good, output.output_shape, "D") == []
    bad = {"FaceCount": "1", "CollectionArn": "arn"}
    assert model_violations(bad, output.output_shape, "D") == [
        "D.FaceCount: expected an integer",
        "D.CollectionArn: not a field of DescribeCollectionResponse",
    ]


@pytest.fixture(scope="module")
def photos(sample_faces) -> dict[str, bytes]:
    return {name: path.read_bytes() for name, path in sample_faces.items()}


@pytest.fixture
def collection(rekognition_client):
    collection_id = f"test-{uuid.uuid4().hex[:12]}"
    rekognition_client.create_collection(CollectionId=collection_id)
    yield collection_id
    with contextlib.suppress(ClientError):
        rekognition_client.delete_collection(CollectionId=collection_id)


# Collections -------------------------------------------------------------------------------
def test_collection_lifecycle(rekognition_client):
    rek = rekognition_client
    created = rek.create_collection(CollectionId="lifecycle.one_1")
    assert created["StatusCode"] == 200
    assert created["CollectionArn"].endswith(":collection/lifecycle.one_1")
    assert created["FaceModelVersion"]

    described = rek.describe_collection(CollectionId="lifecycle.one_1")
    assert described["FaceCount"] == 0
    assert described["CollectionARN"] == created["CollectionArn"]
    assert described["CreationTimestamp"].year >= 2024

    assert "lifecycle.one_1" in rek.list_collections()["CollectionIds"]
    with pytest.raises(ClientError) as excinfo:
        rek.create_collection(CollectionId="lifecycle.one_1")
    assert error_code(excinfo) == "ResourceAlreadyExistsException"

    assert rek.delete_collection(CollectionId="lifecycle.one_1")["StatusCode"] == 200
    for call in (rek.describe_collection, rek.delete_collection):
        with pytest.raises(rek.exceptions.ResourceNotFoundException):
            call(CollectionId="lifecycle.one_1")


def test_list_collections_paginates(rekognition_client):
    ids = [f"page-{i}" for i in range(5)]
    for collection_id in ids:
        rekognition_client.create_collection(CollectionId=collection_id)
    try:
        pages = rekognition_client.get_paginator("list_collections").paginate(
            PaginationConfig={"PageSize": 2}
        )
        seen = [c for page in pages for c in page["CollectionIds"]]
        assert [c for c in seen if c.startswith("page-")] == ids
        assert len(seen) == len(set(seen))
    finally:
        for collection_id in ids:
            rekognition_client.delete_collection(CollectionId=collection_id)


@pytest.mark.parametrize("bad_id", ["has space", "slash/no", "ü", "x" * 256])
def test_invalid_collection_id(rekognition_client, bad_id):
    with pytest.raises(rekognition_client.exceptions.InvalidParameterException):
        rekognition_client.create_collection(CollectionId=bad_id)


def test_unknown_collection_for_face_operations(rekognition_client, photos):
    rek = rekognition_client
    image = {"Bytes": photos["grace_hopper"]}
    calls = [
        lambda: rek.index_faces(CollectionId="missing", Image=image),
        lambda: rek.list_faces(CollectionId="missing"),
        lambda: rek.search_faces_by_image(CollectionId="missing", Image=image),
        lambda: rek.search_faces(CollectionId="missing", FaceId=str(uuid.uuid4())),
        lambda: rek.delete_faces(CollectionId="missing", FaceIds=[str(uuid.uuid4())]),
    ]
    for call in calls:
        with pytest.raises(rek.exceptions.ResourceNotFoundException):
            call()


# IndexFaces / ListFaces / DeleteFaces ----------------------------------------------------
def test_index_faces_returns_face_record(rekognition_client, collection, photos):
    response = rekognition_client.index_faces(
        CollectionId=collection,
        Image={"Bytes": photos["grace_hopper"]},
        ExternalImageId="known:grace_hopper",
        MaxFaces=1,
        QualityFilter="AUTO",
    )
    assert response["UnindexedFaces"] == []
    assert response["FaceModelVersion"]
    [record] = response["FaceRecords"]
    face, detail = record["Face"], record["FaceDetail"]
    assert UUID.match(face["FaceId"]) and UUID.match(face["ImageId"])
    assert face["ExternalImageId"] == "known:grace_hopper"
    assert face["Confidence"] > 99
    assert_ratio_box(face["BoundingBox"])
    # Grace Hopper's face is in the upper middle of the portrait.
    assert 0.25 < face["BoundingBox"]["Left"] < 0.45
    assert 0.15 < face["BoundingBox"]["Top"] < 0.35
    types = {landmark["Type"] for landmark in detail["Landmarks"]}
    assert {"eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"} <= types
    assert set(detail["Pose"]) == {"Roll", "Yaw", "Pitch"}
    assert abs(detail["Pose"]["Yaw"]) < 20 and abs(detail["Pose"]["Roll"]) < 15
    assert 0 <= detail["Quality"]["Brightness"] <= 100
    assert detail["Quality"]["Sharpness"] > 50

    described = rekognition_client.describe_collection(CollectionId=collection)
    assert described["FaceCount"] == 1


@pytest.mark.parametrize(
    "bad_external_id", ["José Núñez", "has space", "semi;colon", "slash/", "x" * 256]
)
def test_index_faces_rejects_bad_external_image_id(
    rekognition_client, collection, photos, bad_external_id
):
    with pytest.raises(ClientError) as excinfo:
        rekognition_client.index_faces(
            CollectionId=collection,
            Image={"Bytes": photos["takeo"]},
            ExternalImageId=bad_external_id,
        )
    assert error_code(excinfo) == "InvalidParameterException"
    assert rekognition_client.describe_collection(CollectionId=collection)["FaceCount"] == 0


def test_index_faces_without_a_face_indexes_nothing(rekognition_client, collection):
    response = rekognition_client.index_faces(
        CollectionId=collection, Image={"Bytes": no_face_jpeg()}, ExternalImageId="nobody"
    )
    assert response["FaceRecords"] == []
    assert response["UnindexedFaces"] == []


def test_index_faces_max_faces_keeps_largest(rekognition_client, collection, photos):
    # Grace scaled to 300 px high next to Takeo scaled to 300 px: Takeo's face is larger.
    two_people = side_by_side(photos["grace_hopper"], photos["takeo"])
    response = rekognition_client.index_faces(
        CollectionId=collection, Image={"Bytes": two_people}, MaxFaces=1, ExternalImageId="two"
    )
    [record] = response["FaceRecords"]
    [unindexed] = response["UnindexedFaces"]
    assert unindexed["Reasons"] == ["EXCEEDS_MAX_FACES"]
    kept, dropped = record["FaceDetail"]["BoundingBox"], unindexed["FaceDetail"]["BoundingBox"]
    assert kept["Width"] * kept["Height"] > dropped["Width"] * dropped["Height"]
    assert kept["Left"] > 0.5 > dropped["Left"]  # Takeo is on the right

    both = rekognition_client.index_faces(CollectionId=collection, Image={"Bytes": two_people})
    assert len(both["FaceRecords"]) == 2
    assert len({r["Face"]["ImageId"] for r in both["FaceRecords"]}) == 1


def test_quality_filter_reasons(rekognition_client, collection, photos):
    rek = rekognition_client
    blurry = blurred_jpeg(photos["grace_hopper"], radius=8)
    filtered = rek.index_faces(CollectionId=collection, Image={"Bytes": blurry})
    assert filtered["FaceRecords"] == []
    assert "LOW_SHARPNESS" in filtered["UnindexedFaces"][0]["Reasons"]
    unfiltered = rek.index_faces(
        CollectionId=collection, Image={"Bytes": blurry}, QualityFilter="NONE"
    )
    assert len(unfiltered["FaceRecords"]) == 1

    far_away = small_in_scene(photos["grace_hopper"], 0.15)  # a ~36 px face
    high = rek.index_faces(CollectionId=collection, Image={"Bytes": far_away}, QualityFilter="HIGH")
    assert high["FaceRecords"] == []
    assert "SMALL_BOUNDING_BOX" in high["UnindexedFaces"][0]["Reasons"]
    auto = rek.index_faces(CollectionId=collection, Image={"Bytes": far_away})
    assert len(auto["FaceRecords"]) == 1


def test_list_faces_paginates_and_delete_faces(rekognition_client, collection, augmented):
    rek = rekognition_client
    face_ids = []
    for seed in range(5):
        response = rek.index_faces(
            CollectionId=collection,
            Image={"Bytes": augmented("luispedro", seed)},
            ExternalImageId=f"luispedro-{seed}",
        )
        face_ids += [r["Face"]["FaceId"] for r in response["FaceRecords"]]
    assert len(face_ids) == 5

    first = rek.list_faces(CollectionId=collection, MaxResults=2)
    assert len(first["Faces"]) == 2 and first["NextToken"]
    listed, token = list(first["Faces"]), first["NextToken"]
    while token:
        page = rek.list_faces(CollectionId=collection, MaxResults=2, NextToken=token)
        assert len(page["Faces"]) <= 2
        listed += page["Faces"]
        token = page.get("NextToken")
    assert [f["FaceId"] for f in listed] == face_ids
    assert [f["ExternalImageId"] for f in listed] == [f"luispedro-{i}" for i in range(5)]
    assert all(f["IndexFacesModelVersion"] for f in listed)

    paged = rek.get_paginator("list_faces").paginate(
        CollectionId=collection, PaginationConfig={"PageSize": 3}
    )
    assert [f["FaceId"] for page in paged for f in page["Faces"]] == face_ids

    # FaceIds filters before paging: each page holds only the asked-for faces.
    chosen = rek.list_faces(
        CollectionId=collection, FaceIds=[face_ids[4], face_ids[0]], MaxResults=1
    )
    assert [f["FaceId"] for f in chosen["Faces"]] == [face_ids[0]]
    rest = rek.list_faces(
        CollectionId=collection,
        FaceIds=[face_ids[4], face_ids[0]],
        MaxResults=1,
        NextToken=chosen["NextToken"],
    )
    assert [f["FaceId"] for f in rest["Faces"]] == [face_ids[4]]
    assert "NextToken" not in rest
    with pytest.raises(rek.exceptions.InvalidParameterException):
        rek.list_faces(CollectionId=collection, FaceIds=["not-a-uuid"])

    with pytest.raises(ClientError) as excinfo:
        rek.list_faces(CollectionId=collection, NextToken="not-a-token")
    assert error_code(excinfo) == "InvalidPaginationTokenException"

    unknown = str(uuid.uuid4())
    deleted = rek.delete_faces(CollectionId=collection, FaceIds=[face_ids[1], unknown])
    assert deleted["DeletedFaces"] == [face_ids[1]]
    assert deleted["UnsuccessfulFaceDeletions"] == [
        {"FaceId": unknown, "Reasons": ["FACE_NOT_FOUND"]}
    ]
    remaining = [f["FaceId"] for f in rek.list_faces(CollectionId=collection)["Faces"]]
    assert remaining == [face_ids[0], *face_ids[2:]]
    with pytest.raises(rek.exceptions.InvalidParameterException):
        rek.delete_faces(CollectionId=collection, FaceIds=["not-a-uuid"])


# Search --------------------------------------------------------------------------------------
def test_search_faces_by_face_id(rekognition_client, collection, augmented, photos):
    rek = rekognition_client
    indexed = [
        rek.index_faces(CollectionId=collection, Image={"Bytes": image}, ExternalImageId=name)[
            "FaceRecords"
        ][0]["Face"]["FaceId"]
        for name, image in [
            ("grace", augmented("grace_hopper", 1)),
            ("grace", augmented("grace_hopper", 2)),
            ("takeo", photos["takeo"]),
        ]
    ]
    response = rek.search_faces(CollectionId=collection, FaceId=indexed[0], FaceMatchThreshold=90)
    assert response["SearchedFaceId"] == indexed[0]
    [match] = response["FaceMatches"]  # not itself, not Takeo
    assert match["Face"]["FaceId"] == indexed[1]
    assert match["Similarity"] >= 90

    # FaceMatchThreshold=0 lets the stranger in, scored below 80; never the face itself.
    everyone = rek.search_faces(CollectionId=collection, FaceId=indexed[0], FaceMatchThreshold=0)
    assert [m["Face"]["FaceId"] for m in everyone["FaceMatches"]] == indexed[1:]
    assert everyone["FaceMatches"][1]["Similarity"] < 80
    nearest = rek.search_faces(
        CollectionId=collection, FaceId=indexed[0], FaceMatchThreshold=0, MaxFaces=1
    )
    assert [m["Face"]["FaceId"] for m in nearest["FaceMatches"]] == [indexed[1]]

    with pytest.raises(rek.exceptions.InvalidParameterException):
        rek.search_faces(CollectionId=collection, FaceId=str(uuid.uuid4()))


def test_search_faces_by_image(rekognition_client, collection, augmented, photos):
    rek = rekognition_client
    for seed in (11, 12):
        rek.index_faces(
            CollectionId=collection,
            Image={"Bytes": augmented("takeo", seed)},
            ExternalImageId="takeo",
        )
    rek.index_faces(
        CollectionId=collection, Image={"Bytes": photos["astronaut"]}, ExternalImageId="collins"
    )
    response = rek.search_faces_by_image(
        CollectionId=collection, Image={"Bytes": photos["takeo"]}, FaceMatchThreshold=90
    )
    assert response["SearchedFaceConfidence"] > 95
    assert_ratio_box(response["SearchedFaceBoundingBox"])
    assert [m["Face"]["ExternalImageId"] for m in response["FaceMatches"]] == ["takeo"] * 2
    similarities = [m["Similarity"] for m in response["FaceMatches"]]
    assert similarities == sorted(similarities, reverse=True)
    assert all(s >= 90 for s in similarities)

    limited = rek.search_faces_by_image(
        CollectionId=collection, Image={"Bytes": photos["takeo"]}, MaxFaces=1
    )
    assert len(limited["FaceMatches"]) == 1

    # FaceMatchThreshold decides who is listed: 0 lists the stranger too, and a cut between
    # the two Takeo scores keeps only the closer one.
    everyone = rek.search_faces_by_image(
        CollectionId=collection, Image={"Bytes": photos["takeo"]}, FaceMatchThreshold=0
    )
    scores = {m["Face"]["ExternalImageId"]: m["Similarity"] for m in everyone["FaceMatches"]}
    assert len(everyone["FaceMatches"]) == 3 and scores["collins"] < 80
    assert similarities[0] > similarities[1]
    closer = rek.search_faces_by_image(
        CollectionId=collection,
        Image={"Bytes": photos["takeo"]},
        FaceMatchThreshold=(similarities[0] + similarities[1]) / 2,
    )
    assert [m["Similarity"] for m in closer["FaceMatches"]] == similarities[:1]

    # Largest face only: Takeo is the larger face in the pair.
    pair = side_by_side(photos["astronaut"], photos["takeo"])
    largest = rek.search_faces_by_image(CollectionId=collection, Image={"Bytes": pair})
    assert {m["Face"]["ExternalImageId"] for m in largest["FaceMatches"]} == {"takeo"}
    assert largest["SearchedFaceBoundingBox"]["Left"] > 0.5


def test_search_faces_by_image_without_face_is_invalid(rekognition_client, collection):
    with pytest.raises(ClientError) as excinfo:
        rekognition_client.search_faces_by_image(
            CollectionId=collection, Image={"Bytes": no_face_jpeg()}
        )
    assert error_code(excinfo) == "InvalidParameterException"


# Detection -----------------------------------------------------------------------------------
def test_detect_faces_finds_one_face_per_sample(rekognition_client, photos):
    for name, image in photos.items():
        details = rekognition_client.detect_faces(Image={"Bytes": image})["FaceDetails"]
        assert len(details) == 1, name
        assert details[0]["Confidence"] > 75, name
        assert_ratio_box(details[0]["BoundingBox"])
        assert "Emotions" not in details[0]


def test_detect_faces_all_attributes_and_no_face(rekognition_client, photos):
    [detail] = rekognition_client.detect_faces(
        Image={"Bytes": photos["grace_hopper"]}, Attributes=["ALL"]
    )["FaceDetails"]
    assert len(detail["Emotions"]) == 8
    assert {"Type", "Confidence"} == set(detail["Emotions"][0])
    assert detail["EyesOpen"]["Value"] is True
    assert 50 <= detail["EyesOpen"]["Confidence"] <= 100
    assert set(detail["MouthOpen"]) == {"Value", "Confidence"}
    empty = rekognition_client.detect_faces(Image={"Bytes": no_face_jpeg()})
    assert empty["FaceDetails"] == []


def test_detect_faces_on_several_and_small_faces(rekognition_client, photos):
    pair = side_by_side(photos["grace_hopper"], photos["luispedro"], photos["takeo"])
    assert len(rekognition_client.detect_faces(Image={"Bytes": pair})["FaceDetails"]) == 3
    far_away = small_in_scene(photos["grace_hopper"], 0.2)  # ~43 px face in 480x360
    assert len(rekognition_client.detect_faces(Image={"Bytes": far_away})["FaceDetails"]) == 1


def test_detect_labels(rekognition_client, photos):
    response = rekognition_client.detect_labels(Image={"Bytes": photos["grace_hopper"]})
    labels = {label["Name"]: label for label in response["Labels"]}
    assert {"Person", "Human", "Face"} <= set(labels)
    assert labels["Person"]["Confidence"] > 90
    [face_instance] = labels["Face"]["Instances"]
    assert_ratio_box(face_instance["BoundingBox"])
    assert {"Name": "Person"} in labels["Face"]["Parents"]
    assert response["LabelModelVersion"]

    nothing = rekognition_client.detect_labels(Image={"Bytes": no_face_jpeg()})
    assert nothing["Labels"] == []
    capped = rekognition_client.detect_labels(Image={"Bytes": photos["takeo"]}, MaxLabels=1)
    assert len(capped["Labels"]) == 1
    # The hard, small Einstein face is found with less confidence than a clear portrait;
    # MinConfidence above it drops his labels.
    einstein = rekognition_client.detect_labels(Image={"Bytes": photos["einstein_podium"]})
    [person] = [label for label in einstein["Labels"] if label["Name"] == "Person"]
    assert person["Confidence"] < labels["Person"]["Confidence"]
    above = rekognition_client.detect_labels(
        Image={"Bytes": photos["einstein_podium"]}, MinConfidence=person["Confidence"] + 0.5
    )
    assert above["Labels"] == []


def test_compare_faces(rekognition_client, photos, augmented):
    target = side_by_side(augmented("grace_hopper", 5), photos["takeo"])
    response = rekognition_client.compare_faces(
        SourceImage={"Bytes": photos["grace_hopper"]},
        TargetImage={"Bytes": target},
        SimilarityThreshold=90,
    )
    assert response["SourceImageFace"]["Confidence"] > 95
    [match] = response["FaceMatches"]
    assert match["Similarity"] >= 90
    assert match["Face"]["BoundingBox"]["Left"] < 0.5  # Grace is on the left
    [unmatched] = response["UnmatchedFaces"]
    assert unmatched["BoundingBox"]["Left"] > 0.5

    for source, no_face_target in ((no_face_jpeg(), target), (photos["takeo"], no_face_jpeg())):
        with pytest.raises(rekognition_client.exceptions.InvalidParameterException):
            rekognition_client.compare_faces(
                SourceImage={"Bytes": source}, TargetImage={"Bytes": no_face_target}
            )


# Image input and image errors ------------------------------------------------------------
def test_rgba_png_works(rekognition_client, collection, photos):
    png = rgba_png(photos["astronaut"])
    assert Image.open(io.BytesIO(png)).mode == "RGBA"
    rekognition_client.index_faces(
        CollectionId=collection, Image={"Bytes": photos["astronaut"]}, ExternalImageId="collins"
    )
    response = rekognition_client.search_faces_by_image(
        CollectionId=collection, Image={"Bytes": png}
    )
    assert response["FaceMatches"][0]["Face"]["ExternalImageId"] == "collins"
    assert response["FaceMatches"][0]["Similarity"] >= 90


def test_s3_object_input(rekognition_client, s3_client, collection, photos):
    s3_client.create_bucket(Bucket="face-input")
    s3_client.put_object(Bucket="face-input", Key="people/grace.jpg", Body=photos["grace_hopper"])
    indexed = rekognition_client.index_faces(
        CollectionId=collection,
        Image={"S3Object": {"Bucket": "face-input", "Name": "people/grace.jpg"}},
        ExternalImageId="grace",
    )
    assert len(indexed["FaceRecords"]) == 1
    labels = rekognition_client.detect_labels(
        Image={"S3Object": {"Bucket": "face-input", "Name": "people/grace.jpg"}}
    )
    assert "Person" in {label["Name"] for label in labels["Labels"]}

    with pytest.raises(ClientError) as excinfo:
        rekognition_client.detect_faces(
            Image={"S3Object": {"Bucket": "face-input", "Name": "missing.jpg"}}
        )
    assert error_code(excinfo) == "InvalidS3ObjectException"

    s3_client.put_object(
        Bucket="face-input", Key="huge.jpg", Body=b"\xff\xd8\xff" + bytes(16 * 1024 * 1024)
    )
    with pytest.raises(ClientError) as excinfo:
        rekognition_client.detect_faces(
            Image={"S3Object": {"Bucket": "face-input", "Name": "huge.jpg"}}
        )
    assert error_code(excinfo) == "ImageTooLargeException"


def _gif_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 120), (10, 200, 10)).save(out, "GIF")
    return out.getvalue()


def _bmp_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 120), (10, 200, 10)).save(out, "BMP")
    return out.getvalue()


@pytest.mark.parametrize(
    ("make_image", "expected"),
    [
        (_gif_bytes, "InvalidImageFormatException"),
        (_bmp_bytes, "InvalidImageFormatException"),
        (corrupt_jpeg, "InvalidImageFormatException"),
        (lambda: b"%PDF-1.4 not an image", "InvalidImageFormatException"),
        (lambda: tiny_jpeg(60), "InvalidParameterException"),
        (lambda: b"\xff\xd8\xff" + bytes(5 * 1024 * 1024 + 100), "ImageTooLargeException"),
        (lambda: b"\xff\xd8\xff" + bytes(20 * 1024 * 1024), "ImageTooLargeException"),
    ],
    ids=["gif", "bmp", "corrupt-jpeg", "pdf", "60px", "5MB+100", "20MB"],
)
def test_bad_images_are_rejected_by_name(
    rekognition_client, collection, photos, make_image, expected
):
    rek, image, face = rekognition_client, {"Bytes": make_image()}, {"Bytes": photos["takeo"]}
    for call in (
        lambda: rek.detect_faces(Image=image),
        lambda: rek.detect_labels(Image=image),
        lambda: rek.index_faces(CollectionId=collection, Image=image),
        lambda: rek.search_faces_by_image(CollectionId=collection, Image=image),
        lambda: rek.compare_faces(SourceImage=image, TargetImage=face),
        lambda: rek.compare_faces(SourceImage=face, TargetImage=image),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_code(excinfo) == expected
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert rekognition_client.describe_collection(CollectionId=collection)["FaceCount"] == 0


# The wire protocol, below what boto3 can send ---------------------------------------------
@pytest.mark.parametrize(
    ("target", "body", "length", "expected"),
    [
        ("RekognitionService.NoSuchOperation", b"{}", None, "UnknownOperationException"),
        ("S3.ListBuckets", b"{}", None, "UnknownOperationException"),
        ("RekognitionService.ListCollections", b"{not json", None, "SerializationException"),
        ("RekognitionService.ListCollections", b"[1, 2]", None, "SerializationException"),
        ("RekognitionService.ListCollections", b"{}", "two", "SerializationException"),
    ],
    ids=["unknown-operation", "other-service", "not-json", "not-an-object", "bad-length"],
)
def test_malformed_requests_get_named_errors(face_service, target, body, length, expected):
    url = urllib.parse.urlsplit(face_service)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.putrequest("POST", "/")
        connection.putheader("X-Amz-Target", target)
        connection.putheader("Content-Type", "application/x-amz-json-1.1")
        connection.putheader("Content-Length", length or str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        assert response.status == 400
        assert json.loads(response.read())["__type"] == expected
    finally:
        connection.close()
