"""Collections survive a restart of the face service, and `python -m localcloud` runs the
services, prints the exports and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import boto3
import pytest

from localcloud.services import start_face_service
from tests.support.images import REPO

pytestmark = pytest.mark.integration


def test_collections_survive_restart(tmp_path, aws_env, sample_faces, augmented):
    data_dir = tmp_path / "faces"
    service = start_face_service(data_dir=data_dir)
    try:
        rek = boto3.client("rekognition", endpoint_url=service.url)
        rek.create_collection(CollectionId="persist")
        rek.create_collection(CollectionId="persist-empty")
        kept = rek.index_faces(
            CollectionId="persist",
            Image={"Bytes": sample_faces["grace_hopper"].read_bytes()},
            ExternalImageId="grace_hopper",
        )["FaceRecords"][0]["Face"]
        dropped = rek.index_faces(
            CollectionId="persist",
            Image={"Bytes": sample_faces["takeo"].read_bytes()},
            ExternalImageId="takeo",
        )["FaceRecords"][0]["Face"]["FaceId"]
        rek.delete_faces(CollectionId="persist", FaceIds=[dropped])
        before = rek.describe_collection(CollectionId="persist")
    finally:
        service.stop()
    assert not list(data_dir.glob("*.tmp"))

    service = start_face_service(data_dir=data_dir)
    try:
        rek = boto3.client("rekognition", endpoint_url=service.url)
        assert set(rek.list_collections()["CollectionIds"]) == {"persist", "persist-empty"}
        after = rek.describe_collection(CollectionId="persist")
        assert after["FaceCount"] == 1
        assert after["CreationTimestamp"] == before["CreationTimestamp"]
        assert after["CollectionARN"] == before["CollectionARN"]
        [listed] = rek.list_faces(CollectionId="persist")["Faces"]
        assert listed["FaceId"] == kept["FaceId"]
        assert listed["BoundingBox"] == kept["BoundingBox"]
        match = rek.search_faces_by_image(
            CollectionId="persist", Image={"Bytes": augmented("grace_hopper", 7)}
        )["FaceMatches"][0]
        assert match["Face"]["FaceId"] == kept["FaceId"]
        assert match["Similarity"] >= 90
        rek.delete_collection(CollectionId="persist-empty")
    finally:
        service.stop()
    assert [p.name for p in data_dir.iterdir()] == ["persist.npz"]


def test_python_m_localcloud_prints_exports_and_stops_on_sigterm(tmp_path):
    """The bare services (the full local cloud's run_cloud is tested in test_localcloud).
    A data directory of its own: the default one is the user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "--services-only", "--data-dir", str(tmp_path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports: dict[str, str] = {}
        deadline = time.monotonic() + 60
        while "AWS_SECRET_ACCESS_KEY" not in exports and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            if line.startswith("export "):
                key, value = line[len("export ") :].strip().split("=", 1)
                exports[key] = value
        assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
        assert exports["AWS_ENDPOINT_URL_REKOGNITION"].startswith("http://127.0.0.1:")
        assert exports["AWS_ACCESS_KEY_ID"] == "testing"  # moto's placeholder, not a secret

        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        rek = session.client("rekognition", endpoint_url=exports["AWS_ENDPOINT_URL_REKOGNITION"])
        assert rek.list_collections()["CollectionIds"] == []
        s3 = session.client("s3", endpoint_url=exports["AWS_ENDPOINT_URL"])
        s3.create_bucket(Bucket="smoke")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["smoke"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            returncode = process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert returncode == 0, process.stderr.read()
