"""`doorman gallery sync` against a moto faces bucket: who each photo is, idempotent
re-runs, and removals mirrored from the bucket."""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from PIL import Image

from adapters.storage import Storage
from cli import main
from core.slugs import hashed_slug
from edge_agent.gallery_sync import MANIFEST, GallerySyncError, sync_gallery
from tests.support.cloud import CloudKit, plain
from tests.support.images import corrupt_jpeg, rgba_png
from tests.unit.edge_delivery.factory import s3_client

pytestmark = pytest.mark.integration


def tagging(**tags: str) -> str:
    return urlencode(tags)


def photos_of(gallery: Path) -> dict[str, list[str]]:
    return {
        person.name: sorted(p.name for p in person.glob("*.jpg"))
        for person in sorted(gallery.iterdir())
        if person.is_dir()
    }


@pytest.fixture
def faces_bucket(moto_server: str, sample_faces: dict[str, Path]):
    s3 = s3_client(moto_server)
    bucket = f"faces-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    grace = sample_faces["grace_hopper"].read_bytes()
    put = s3.put_object
    put(Bucket=bucket, Key="known/Grace Hopper/portrait.jpg", Body=grace)
    put(Bucket=bucket, Key="known/Grace Hopper/second.jpg", Body=grace[:-2] + b"\xff\xd9")
    put(
        Bucket=bucket,
        Key="uploads/eileen.png",
        Body=rgba_png(sample_faces["astronaut"]),
        Tagging=tagging(name="Eileen Collins", watchlist="barred", enrollment="indexed"),
    )
    put(
        Bucket=bucket,
        Key="known/José Núñez/1.jpg",
        Body=sample_faces["luispedro"].read_bytes(),
        Tagging=tagging(enrollment="indexed"),
    )
    put(
        Bucket=bucket,
        Key="known/Takeo/a.jpg",
        Body=sample_faces["takeo"].read_bytes(),
        Tagging=tagging(enrollment="no-face"),
    )
    put(Bucket=bucket, Key="barred/Mallory/broken.jpg", Body=corrupt_jpeg())
    put(Bucket=bucket, Key="known/readme.txt", Body=b"not a photo")
    put(Bucket=bucket, Key="friends/Ann/ann.jpg", Body=grace)  # not a watchlist
    return s3, bucket, grace


def test_sync_downloads_enrolled_photos_per_person_then_mirrors_changes(
    faces_bucket, tmp_path: Path
) -> None:
    s3, bucket, grace = faces_bucket
    gallery = tmp_path / "known_faces"

    first = sync_gallery(Storage(s3), bucket, gallery)

    assert (first.downloaded, first.unchanged, first.removed) == (4, 0, 0)
    assert first.skipped == {
        "enrollment=no-face": 1,
        "bad-image": 1,
        "not-an-image": 1,
        "bad-watchlist": 1,
    }
    assert first.people == {
        "grace-hopper": {"name": "Grace Hopper", "watchlist": "known"},
        "eileen-collins": {"name": "Eileen Collins", "watchlist": "barred"},
        "jose-nunez": {"name": "José Núñez", "watchlist": "known"},
    }
    layout = photos_of(gallery)
    assert sorted(layout) == ["eileen-collins", "grace-hopper", "jose-nunez"]
    assert len(layout["grace-hopper"]) == 2
    [portrait] = [n for n in layout["grace-hopper"] if n.startswith("portrait-")]
    assert (gallery / "grace-hopper" / portrait).read_bytes() == grace  # JPEGs are kept as-is
    [eileen] = (gallery / "eileen-collins").glob("*.jpg")
    with Image.open(eileen) as image:
        assert image.format == "JPEG" and image.mode == "RGB"  # PNG (RGBA) converted
        png = s3.get_object(Bucket=bucket, Key="uploads/eileen.png")["Body"].read()
        assert image.size == Image.open(io.BytesIO(png)).size

    second = sync_gallery(Storage(s3), bucket, gallery)
    assert (second.downloaded, second.unchanged, second.removed) == (0, 4, 0)

    # Upstream changes: a photo deleted, a photo replaced, a photo rejected by enrollment.
    s3.delete_object(Bucket=bucket, Key="known/Grace Hopper/second.jpg")
    s3.put_object(Bucket=bucket, Key="known/José Núñez/1.jpg", Body=grace)
    s3.put_object_tagging(
        Bucket=bucket,
        Key="known/José Núñez/1.jpg",
        Tagging={"TagSet": [{"Key": "enrollment", "Value": "indexed"}]},
    )
    s3.put_object_tagging(
        Bucket=bucket,
        Key="uploads/eileen.png",
        Tagging={
            "TagSet": [
                {"Key": "name", "Value": "Eileen Collins"},
                {"Key": "enrollment", "Value": "many-faces"},
            ]
        },
    )
    mine = gallery / "grace-hopper" / "my-own.jpg"
    mine.write_bytes(grace)  # put there by hand: not ours to delete

    third = sync_gallery(Storage(s3), bucket, gallery)

    assert (third.downloaded, third.unchanged, third.removed) == (1, 1, 2)
    layout = photos_of(gallery)
    assert sorted(layout) == ["grace-hopper", "jose-nunez"]  # eileen's folder is gone
    assert "my-own.jpg" in layout["grace-hopper"] and len(layout["grace-hopper"]) == 2
    [jose] = (gallery / "jose-nunez").glob("*.jpg")
    assert jose.read_bytes() == grace  # the new version (new ETag) was fetched
    assert (gallery / MANIFEST).is_file()
    assert not list(gallery.rglob("*.tmp"))


def test_cli_sync_reports_counts_and_a_missing_bucket_clearly(
    faces_bucket, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, bucket, _ = faces_bucket
    for key, value in {
        "AWS_ENDPOINT_URL": moto_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    gallery = tmp_path / "gallery"

    result = runner.invoke(main, ["gallery", "sync", "--bucket", bucket, "--dir", str(gallery)])
    assert result.exit_code == 0, result.output
    assert "3 people, 4 downloaded, 0 unchanged, 0 removed" in result.output
    assert "skipped 1: enrollment=no-face" in result.output

    again = runner.invoke(main, ["gallery", "sync", "--bucket", bucket, "--dir", str(gallery)])
    assert "0 downloaded, 4 unchanged" in again.output

    missing = runner.invoke(
        main, ["gallery", "sync", "--bucket", "no-such-bucket-x1", "--dir", str(gallery)]
    )
    assert missing.exit_code == 1
    assert (
        "cannot list s3://no-such-bucket-x1" in missing.output and "NoSuchBucket" in missing.output
    )
    assert len(photos_of(gallery)) == 3  # a failed sync deletes nothing


def test_a_dead_network_stops_the_sync_without_deleting_anything(
    faces_bucket, tmp_path: Path
) -> None:
    from localcloud.services import free_port

    s3, bucket, _ = faces_bucket
    gallery = tmp_path / "gallery"
    sync_gallery(Storage(s3), bucket, gallery)
    before = photos_of(gallery)
    dead = s3_client(
        f"http://127.0.0.1:{free_port()}", connect_timeout=0.5, retries={"max_attempts": 1}
    )
    with pytest.raises(GallerySyncError, match=f"cannot list s3://{bucket}"):
        sync_gallery(Storage(dead), bucket, gallery)
    assert photos_of(gallery) == before


def test_a_person_id_tag_from_enroll_names_the_folder_and_a_malformed_one_is_ignored(
    moto_server: str, sample_faces: dict[str, Path], tmp_path: Path
) -> None:
    s3 = s3_client(moto_server)
    bucket = f"faces-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    photo = sample_faces["luispedro"].read_bytes()
    hashed = hashed_slug("José Núñez")
    # José's photo came first, yet enroll's tags say the plain slug is Jose Nunez's.
    s3.put_object(
        Bucket=bucket,
        Key="known/José Núñez/1.jpg",
        Body=photo,
        Tagging=tagging(enrollment="indexed", **{"person-id": hashed}),
    )
    s3.put_object(
        Bucket=bucket,
        Key="known/Jose Nunez/1.jpg",
        Body=photo,
        Tagging=tagging(enrollment="indexed", **{"person-id": "jose-nunez"}),
    )
    s3.put_object(
        Bucket=bucket,
        Key="known/Ann Lee/1.jpg",
        Body=photo,
        Tagging=tagging(enrollment="indexed", **{"person-id": "../../outside"}),
    )
    gallery = tmp_path / "gallery"

    report = sync_gallery(Storage(s3), bucket, gallery)

    assert {pid: person["name"] for pid, person in report.people.items()} == {
        hashed: "José Núñez",
        "jose-nunez": "Jose Nunez",
        "ann-lee": "Ann Lee",
    }
    assert sorted(photos_of(gallery)) == sorted(["ann-lee", "jose-nunez", hashed])
    assert not (tmp_path / "outside").exists()


@pytest.mark.slow
def test_gallery_sync_and_enroll_agree_on_a_colliding_name_pair(
    enrolled: CloudKit, sample_faces: dict[str, Path], tmp_path: Path
) -> None:
    cloud = enrolled
    # José first: enroll gives him the plain slug. "Jose Nunez" sorts before him by name,
    # but arrives second and gets the hashed id.
    cloud.put_photo("known/José Núñez/portrait.jpg", sample_faces["takeo"].read_bytes())
    cloud.drain()
    time.sleep(1.1)  # S3 listings give upload times to the second
    cloud.put_photo("known/Jose Nunez/portrait.jpg", sample_faces["luispedro"].read_bytes())
    cloud.drain()
    enrolled_ids = {
        person["name"]: person["person_id"]
        for person in map(plain, cloud.dynamodb.scan(TableName=cloud.r.people_table)["Items"])
        if person["name"] in {"José Núñez", "Jose Nunez"}
    }
    assert enrolled_ids == {"José Núñez": "jose-nunez", "Jose Nunez": hashed_slug("Jose Nunez")}

    report = sync_gallery(Storage(cloud.s3), cloud.r.faces_bucket, tmp_path, prefix="known/")

    synced_ids = {person["name"]: pid for pid, person in report.people.items()}
    assert synced_ids == enrolled_ids
    assert sorted(photos_of(tmp_path)) == sorted(enrolled_ids.values())
