"""Decompression bombs in `doorman report` and `doorman gallery sync`, and enrollment tags
that S3 refuses.

A bomb here is a PNG of a few dozen bytes whose header claims 20000 x 20000 pixels: Pillow
refuses to open it (DecompressionBombError above ~179 Mpx). Both commands skip such an
image, say so, and carry on with the others.
"""

from __future__ import annotations

import io
import json
import struct
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from PIL import Image

from adapters.discovery import Target, resolve
from adapters.storage import Storage
from cli import main
from core.schemas import EventRecord
from core.tablekeys import event_sort_key
from edge_agent.gallery_sync import sync_gallery
from localcloud.cloud import LocalCloud
from tests.support.cloud import quiet_cloud
from tests.support.images import FACES_DIR, jpeg_bytes, open_rgb

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:No application metrics to publish"),
]

Run = Callable[..., Result]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(side: int = 20_000) -> bytes:
    """A PNG of a few dozen bytes whose header claims side x side RGB pixels."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def test_the_bomb_is_small_and_pillow_refuses_to_open_it() -> None:
    data = bomb_png()
    assert len(data) < 200
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(data))


@pytest.fixture(scope="module")
def cloud(
    aws_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalCloud]:
    with quiet_cloud("bomb", aws_env, tmp_path_factory.mktemp("bombs")) as local:
        yield local


@pytest.fixture(scope="module")
def target(cloud: LocalCloud) -> Target:
    """The Target `doorman` resolves for this cloud (endpoints from the environment win, and
    another module's LocalCloud may have left its own there)."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in cloud.env().items():
            patch.setenv(key, value)
        return resolve(local_dir=cloud.data_dir)


@pytest.fixture(scope="module")
def run(cloud: LocalCloud) -> Run:
    env = {**cloud.env(), "DOORMAN_LOCAL_DIR": str(cloud.data_dir)}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)

    return invoke


def put_event(target: Target, camera: str, key: str, frame: bytes, captured: datetime) -> None:
    """A frame in the uploads bucket and its Events item, as analyze leaves them (under a
    prefix analyze does not watch, so that it adds no events of its own)."""
    bucket = target.resources.uploads_bucket
    target.storage().put(bucket, key, frame, content_type="image/jpeg")
    image_hash = uuid.uuid4().hex[:16]
    captured_at = captured.isoformat(timespec="milliseconds")
    target.tables().events.put(
        EventRecord(
            camera_id=camera,
            event_time=event_sort_key(captured_at, image_hash),
            captured_at=captured_at,
            image_hash=image_hash,
            bucket=bucket,
            image_key=key,
            severity="info",
            alarm=False,
            processed_key="",
            expires_at=int((captured + timedelta(days=1)).timestamp()),
        )
    )


def test_report_skips_a_bomb_frame_says_so_and_writes_the_other_events(
    run: Run, target: Target, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    good = jpeg_bytes(open_rgb(FACES_DIR / "grace_hopper.jpg"))
    bomb_key = "archive/porch/bomb-001.jpg"
    put_event(target, "porch", "archive/porch/good-001.jpg", good, now - timedelta(minutes=3))
    put_event(target, "porch", bomb_key, bomb_png(), now - timedelta(minutes=2))
    put_event(target, "porch", "archive/porch/good-002.jpg", good, now - timedelta(minutes=1))

    result = run("report", "--since", "1h", "--camera", "porch", "--out", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert "(3 events)" in result.output
    [skipped] = [line for line in result.output.splitlines() if bomb_key in line]
    assert "skipped" in skipped and "pixels" in skipped
    assert len(json.loads((tmp_path / "events.json").read_text())) == 3
    assert len(list((tmp_path / "thumbs").glob("*.jpg"))) == 2
    assert (tmp_path / "index.html").read_text().count('<article class="event') == 3


def test_gallery_sync_skips_a_bomb_photo_reports_it_and_syncs_the_rest(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    s3 = cloud.client("s3")
    bucket = f"gallery-bomb-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    grace = (FACES_DIR / "grace_hopper.jpg").read_bytes()
    s3.put_object(Bucket=bucket, Key="known/Grace Hopper/1.jpg", Body=grace)
    s3.put_object(Bucket=bucket, Key="known/Mallory/huge.png", Body=bomb_png())
    s3.put_object(
        Bucket=bucket, Key="known/Takeo/1.jpg", Body=(FACES_DIR / "takeo.jpg").read_bytes()
    )

    report = sync_gallery(Storage(s3), bucket, tmp_path / "direct")
    assert report.downloaded == 2
    assert report.skipped == {"too-many-pixels": 1}
    assert sorted(report.people) == ["grace-hopper", "takeo"]

    result = CliRunner().invoke(
        main,
        ["gallery", "sync", "--bucket", bucket, "--dir", str(tmp_path / "cli")],
        env=cloud.env(),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "2 people, 2 downloaded" in result.output
    assert "skipped 1: too-many-pixels" in result.output
    assert sorted(p.name for p in (tmp_path / "cli").iterdir() if p.is_dir()) == [
        "grace-hopper",
        "takeo",
    ]


def faces_bucket_versions(cloud: LocalCloud) -> list[str]:
    listing = cloud.client("s3").list_object_versions(Bucket=cloud.resources.faces_bucket)
    return [v["Key"] for v in listing.get("Versions", []) + listing.get("DeleteMarkers", [])]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--name", "A" * 201], "name"),
        (["--name", "😀" * 150], "name"),  # 150 characters, 300 UTF-16 units
        (["--name", "Ann <admin>"], "name"),
        (["--name", "Eve\x1b[31m"], "name"),
        (["--name", "Mallory", "--watchlist", "friends"], "watchlist"),
    ],
    ids=["201-characters", "300-utf16-units", "angle-brackets", "escape", "bad-watchlist"],
)
def test_enroll_refuses_a_bad_tag_and_uploads_nothing(
    run: Run, cloud: LocalCloud, args: list[str], named: str
) -> None:
    result = run("enroll", str(FACES_DIR / "grace_hopper.jpg"), *args, "--no-wait")
    assert result.exit_code != 0
    assert named in result.output
    assert not [line for line in result.output.splitlines() if line.startswith("uploaded ")]
    assert faces_bucket_versions(cloud) == []
